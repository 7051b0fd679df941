// The remembered device choice (what localStorage holds is outside input: checked, bounded)
// and how a remembered device is found again, plus the level meter's scale.
import { describe, expect, it } from 'vitest';
import { findChoice, loadDeviceChoice, rememberDevice } from '../../client/call/devices.js';
import { meterLevel } from '../../client/call/audioLevel.js';

function memoryStorage(initial: Record<string, string> = {}): Pick<Storage, 'getItem' | 'setItem'> & { data: Record<string, string> } {
  const data = { ...initial };
  return { data, getItem: (k) => data[k] ?? null, setItem: (k, v) => void (data[k] = v) };
}

describe('the remembered device choice', () => {
  it('keeps each kind chosen, one at a time, for the next visit', () => {
    const storage = memoryStorage();
    rememberDevice('camera', { id: 'cam-2', label: 'USB camera' }, storage);
    rememberDevice('speaker', { id: 'spk-1', label: 'Headset' }, storage);
    rememberDevice('camera', { id: 'cam-3', label: 'Desk camera' }, storage);
    expect(loadDeviceChoice(storage)).toEqual({ camera: { id: 'cam-3', label: 'Desk camera' }, speaker: { id: 'spk-1', label: 'Headset' } });
  });

  it('reads nothing from storage that is not JSON, not an object, or of the wrong shape', () => {
    expect(loadDeviceChoice(memoryStorage({ 'rtc.devices': '{not json' }))).toEqual({});
    expect(loadDeviceChoice(memoryStorage({ 'rtc.devices': '[1,2]' }))).toEqual({});
    expect(loadDeviceChoice(memoryStorage({ 'rtc.devices': JSON.stringify({ camera: { id: 7, label: 'x' }, microphone: 'mic', speaker: { id: 'a'.repeat(300), label: 'long' } }) }))).toEqual({});
    expect(loadDeviceChoice(undefined)).toEqual({});
  });

  it('survives storage that refuses to write', () => {
    const storage = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); } };
    expect(() => rememberDevice('microphone', { id: 'm', label: 'Mic' }, storage)).not.toThrow();
  });

  it('finds a remembered device by its id, else by its label (the site data was cleared), else not', () => {
    const options = [{ id: 'a1', label: 'Built-in' }, { id: 'b2', label: 'USB camera' }];
    expect(findChoice({ id: 'b2', label: 'renamed' }, options)).toEqual(options[1]);
    expect(findChoice({ id: 'old-id', label: 'USB camera' }, options)).toEqual(options[1]);
    expect(findChoice({ id: 'gone', label: 'Unplugged' }, options)).toBeUndefined();
    expect(findChoice(undefined, options)).toBeUndefined();
  });
});

describe('the microphone level bar', () => {
  it('shows -60 dBFS and below as empty, 0 dBFS as full, and speech in between', () => {
    expect(meterLevel(0)).toBe(0);
    expect(meterLevel(0.0005)).toBe(0);
    expect(meterLevel(1)).toBe(1);
    expect(meterLevel(2)).toBe(1);
    expect(meterLevel(0.03)).toBeCloseTo(1 - 30.46 / 60, 2);
    expect(meterLevel(Number.NaN)).toBe(0);
  });
});
