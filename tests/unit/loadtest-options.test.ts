// The load generator's command line: what it accepts, what it refuses and how it says so.
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, optionWarnings, parseLoadArgs, type LoadOptions } from '../../loadtest/options.js';

const URL_ARGS = ['--url', 'ws://127.0.0.1:8080/ws'];

function options(argv: string[]): LoadOptions {
  const parsed = parseLoadArgs(argv);
  if (!parsed.ok) throw new Error(parsed.help ? 'help' : parsed.error);
  return parsed.options;
}

function error(argv: string[]): string {
  const parsed = parseLoadArgs(argv);
  if (parsed.ok || parsed.help) throw new Error(`expected an error for ${argv.join(' ')}`);
  return parsed.error;
}

describe('load generator options', () => {
  it('has defaults for everything but the URL, with one room per 16 clients', () => {
    const o = options([...URL_ARGS, '--clients', '40']);
    expect(o).toMatchObject({ scenario: 'join-storm', clients: 40, rooms: 3, rate: 100, messageRate: 0, duration: 30, timeoutMs: 10_000, bare: false, json: false });
    expect(o.roomPrefix).toMatch(/^lt-[a-z0-9]+$/);
  });

  it('sends one message per client per second in fanout unless told otherwise', () => {
    expect(options([...URL_ARGS, '--scenario', 'fanout']).messageRate).toBe(1);
    expect(options([...URL_ARGS, '--scenario', 'fanout', '--message-rate', '0.5']).messageRate).toBe(0.5);
  });

  it('turns --ramp-up into an arrival rate, and refuses it together with --rate', () => {
    expect(options([...URL_ARGS, '--clients', '500', '--ramp-up', '10']).rate).toBe(50);
    expect(error([...URL_ARGS, '--rate', '10', '--ramp-up', '10'])).toBe('give either --rate or --ramp-up, not both');
  });

  it('requires a ws:// or wss:// URL', () => {
    expect(error([])).toContain('--url is required');
    expect(error(['--url', 'not a url'])).toBe('--url is not a URL');
    expect(error(['--url', 'http://127.0.0.1:8080/ws'])).toBe('--url must start with ws:// or wss://');
  });

  it('refuses a non-loopback target unless --allow-remote is given', () => {
    expect(error(['--url', 'ws://10.0.0.5:8080/ws'])).toMatch(/^refusing non-loopback target 10\.0\.0\.5/);
    expect(error(['--url', 'wss://example.com/ws'])).toMatch(/--allow-remote/);
    expect(options(['--url', 'ws://10.0.0.5:8080/ws', '--allow-remote']).allowRemote).toBe(true);
  });

  it('names the flag that is wrong', () => {
    expect(error([...URL_ARGS, '--clients', '0'])).toBe('--clients must be at least 1');
    expect(error([...URL_ARGS, '--clients', 'many'])).toBe('--clients must be a number');
    expect(error([...URL_ARGS, '--clients', '2.5'])).toBe('--clients must be a whole number');
    expect(error([...URL_ARGS, '--rate', '0'])).toBe('--rate must be greater than 0');
    expect(error([...URL_ARGS, '--scenario', 'flood'])).toBe('--scenario must be one of join-storm, fanout, churn, reconnect');
    expect(error([...URL_ARGS, '--clients', '4', '--rooms', '5'])).toBe('--rooms (5) must not exceed --clients (4)');
    expect(error([...URL_ARGS, '--room-prefix', 'a b'])).toMatch(/--room-prefix may contain/);
  });

  it('reports every problem at once, one per line', () => {
    expect(error(['--url', 'ws://10.0.0.5/ws', '--clients', '0', '--duration', '-1']).split('\n')).toHaveLength(3);
  });

  it('refuses unknown flags and stray arguments', () => {
    expect(error([...URL_ARGS, '--clinets', '5'])).toMatch(/Unknown option '--clinets'/);
    expect(error([...URL_ARGS, 'fanout'])).toMatch(/Unexpected argument 'fanout'/);
  });

  it('answers --help with the help text', () => {
    expect(parseLoadArgs(['--help'])).toEqual({ ok: false, help: true });
  });

  it('warns about rooms bigger than the server allows and rates above its limit', () => {
    expect(optionWarnings(options([...URL_ARGS, '--clients', '100', '--rooms', '2']))[0]).toMatch(/rooms of up to 50 clients .*expect 68 joins refused \(close:4005, room full\).*--rooms 7 fits everyone/);
    expect(optionWarnings(options([...URL_ARGS, '--message-rate', '60']))[0]).toMatch(/RATE_LIMITED/);
    expect(optionWarnings(options([...URL_ARGS, '--clients', '100', '--rooms', '2', '--bare']))).toEqual([]);
  });
});

describe('loopback targets', () => {
  it.each(['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['10.0.0.1', '128.0.0.1', '127.0.0.256', '127.0.0.1.evil.com', 'localhost.evil.com', '[::2]', '0.0.0.0', 'example.com'])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
