// The SFU bench's sampled decryption (loadtest/media/sampledSrtp.ts): subscribers decrypt
// one packet in N and must still follow the stream's rollover counter, or every sampled
// packet after the 16-bit sequence wrap (every 109 s at 600 packets/s) fails to decrypt
// and the bench reports the SFU's packets as corrupt.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProtectionProfileAeadAes128Gcm, RtpHeader, SrtpSession } from 'werift';
import { sampleDecryption, type SampledSrtpCounts, type WeriftSrtpSession } from '../../loadtest/media/sampledSrtp.js';

function sessionPair(): { sender: SrtpSession; receiver: SrtpSession } {
  const [a, b] = [{ key: randomBytes(16), salt: randomBytes(12) }, { key: randomBytes(16), salt: randomBytes(12) }];
  const profile = ProtectionProfileAeadAes128Gcm;
  return {
    sender: new SrtpSession({ keys: { localMasterKey: a.key, localMasterSalt: a.salt, remoteMasterKey: b.key, remoteMasterSalt: b.salt }, profile }),
    receiver: new SrtpSession({ keys: { localMasterKey: b.key, localMasterSalt: b.salt, remoteMasterKey: a.key, remoteMasterSalt: a.salt }, profile }),
  };
}

/** Sends `count` packets from sequence number `firstSeq` through a receiver that decrypts one in `oneIn`. */
function run(firstSeq: number, count: number, oneIn: number, tamper?: (i: number, packet: Buffer) => void): { counts: SampledSrtpCounts; dropped: number } {
  const { sender, receiver } = sessionPair();
  const counts = { verified: 0, failed: 0 };
  sampleDecryption(receiver as unknown as WeriftSrtpSession, oneIn, counts);
  let dropped = 0;
  for (let i = 0; i < count; i++) {
    const header = new RtpHeader({ payloadType: 96, sequenceNumber: (firstSeq + i) & 0xffff, timestamp: i * 3000, ssrc: 0x1234 });
    const packet = sender.encrypt(Buffer.alloc(200, i & 0xff), header);
    tamper?.(i, packet);
    try {
      const clear = receiver.decrypt(packet);
      expect(clear.readUInt16BE(2)).toBe((firstSeq + i) & 0xffff);
    } catch {
      dropped++;
    }
  }
  return { counts, dropped };
}

describe('sampled SRTP decryption', () => {
  it('decrypts one packet in N and drops the rest unread', () => {
    const { counts, dropped } = run(1000, 1024, 16);
    expect(counts).toEqual({ verified: 64, failed: 0 });
    expect(dropped).toBe(1024 - 64);
  });

  it('keeps decrypting after the sequence numbers wrap, though the wrap fell between samples', () => {
    // 65,000 + 3,000 crosses 65535 -> 0 where no sampled packet lands (one in 256).
    const { counts } = run(65_000, 3_000, 256);
    expect(counts.failed).toBe(0);
    expect(counts.verified).toBe(Math.ceil(3_000 / 256));
  });

  it('reports a sampled packet that does not authenticate', () => {
    const { counts } = run(10, 64, 8, (i, packet) => {
      if (i === 16) packet[packet.length - 1]! ^= 0xff; // a sampled one: 16 % 8 === 0
    });
    expect(counts).toEqual({ verified: 7, failed: 1 });
  });
});
