import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import * as openpgp from 'openpgp';
import { armorInto, armorStream } from '../../src/encryption/armor';

/** The armor as RFC 9580 §6.2 and RFC 4880 §6.1 describe it, through strings, bit by bit. */
function expected(data: Buffer, eol: string): string {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let bit = 0; bit < 8; bit++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  const sum = Buffer.from([(crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]).toString('base64');
  const lines = data.toString('base64').match(/.{1,64}/g) ?? [];
  return ['-----BEGIN PGP MESSAGE-----', '', ...lines, `=${sum}`, '-----END PGP MESSAGE-----'].join(eol);
}

/** `data` cut at random places, empty pieces included. */
function cut(data: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const n = crypto.randomInt(0, Math.min(data.length - at, 200) + 1);
    parts.push(data.subarray(at, at + n));
    at += n;
  }
  return parts;
}

describe('ASCII armor (RFC 9580 §6.2)', () => {
  const lengths = [...Array.from({ length: 150 }, (_, i) => i), 1000, 4096, 65_537, 300_001];

  it('writes base64 lines of 64 characters, the CRC-24 line and the tail, whole or in pieces', async () => {
    for (const eol of ['\r\n', '\n']) {
      for (const n of lengths) {
        const data = crypto.randomBytes(n);
        const want = expected(data, eol);
        const before = Buffer.from('before');
        const after = Buffer.from('after');
        const whole = armorInto(before, cut(data), eol, after).toString('latin1');
        expect([n, eol, whole]).toEqual([n, eol, `before${want}after`]);
        // One piece, and a large one starting mid-line after a pending byte: encoded in blocks.
        for (const pieces of [[data], [data.subarray(0, 7), data.subarray(7)]]) {
          const blocks = armorInto(before, pieces, eol, after).toString('latin1');
          expect([n, eol, blocks]).toEqual([n, eol, `before${want}after`]);
        }
        const streamed = await buffer(armorStream(Readable.from(cut(data)), eol));
        expect([n, eol, streamed.toString('latin1')]).toEqual([n, eol, want]);
      }
    }
  });

  it('is read back by openpgp.js to the same binary', async () => {
    const data = crypto.randomBytes(10_001);
    const armored = armorInto(Buffer.alloc(0), [data], '\r\n', Buffer.alloc(0)).toString('latin1');
    const { data: back } = await openpgp.unarmor(armored);
    expect(Buffer.from(back as Uint8Array).equals(data)).toBe(true);
  });
});
