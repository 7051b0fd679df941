// The browser app's two layers (README, "Layout"): client/call/ is the call without a page
// (WebRTC, signaling, statistics) and never imports the page; client/ui/ is the page and
// talks to the call through `Call`, never to WebRTC or the signaling socket itself.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const importsOf = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/from\s+'([^']+)'/g)].map((m) => path.resolve(path.dirname(file), m[1]!));

describe('client layers', () => {
  it('nothing in client/call/ imports from client/ui/ or the entry point', () => {
    const ui = path.resolve('client/ui');
    const offending = sources('client/call').flatMap((file) => importsOf(file).filter((target) => target.startsWith(ui + path.sep) || target === path.resolve('client/main.js')).map((target) => `${file} -> ${target}`));
    expect(offending).toEqual([]);
  });

  it('nothing in client/ui/ opens a peer connection, reads getStats or opens a WebSocket', () => {
    const offending = sources('client/ui').filter((file) => /\bnew RTCPeerConnection\b|\.getStats\(|\bnew WebSocket\b/.test(readFileSync(file, 'utf8')));
    expect(offending).toEqual([]);
  });
});
