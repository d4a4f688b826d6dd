/**
 * RFC 9580 §6.2 ASCII armor of a binary OpenPGP message, which RFC 3156 §4 requires for PGP/MIME,
 * written into the output buffer in one pass with its line ends. The base64 (RFC 4648 §4) of a
 * chunk's whole groups comes from Node's native encoder, written at the end of its room and
 * moved line by line to its place: 2 to 4 times less CPU than encoding group by group in
 * JavaScript, which was a sixth of the gateway's CPU at 100 KB and 1 MB (bench/RESULTS.md).
 *
 * The CRC-24 line (RFC 4880 §6.1) is written although RFC 9580 §6.1 makes it optional: GnuPG 2.2
 * finds the end of the base64 data at the padding or at that line, so without it, whenever the
 * binary length is a multiple of 3 (no padding), it reads on into the END line, reports
 * "invalid radix64 character" and exits 2 after decrypting.
 */

const ARMOR_HEAD = '-----BEGIN PGP MESSAGE-----';
const ARMOR_TAIL = '-----END PGP MESSAGE-----';
const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');
const PAD = 0x3d;
// 16 groups of 3 bytes make one 64-character line.
const GROUPS_PER_LINE = 16;
// Bytes encoded at a time: a base64 string of more than about 64 KB is made outside V8's heap,
// at 50 to 100 times the CPU of the same bytes in smaller pieces (Node 20, measured).
const BLOCK = 256 * 48;

// RFC 4880 §6.1: CRC-24 with generator 0x864CFB and initial value 0xB704CE. Four bytes a step
// ("slicing by 4"): TABLES[k][b] is the CRC register, left-aligned in 32 bits, of byte b followed
// by k zero bytes, so one step folds four input bytes with four lookups (3× faster than a table
// per byte).
const CRC24_INIT = 0xb704ce;
const TABLES = (() => {
  const tables = Array.from({ length: 4 }, () => new Int32Array(256));
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let bit = 0; bit < 8; bit++) c = c & 0x80000000 ? (c << 1) ^ 0x864cfb00 : c << 1;
    tables[0][i] = c;
  }
  for (let k = 1; k < 4; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = tables[k - 1][i];
      tables[k][i] = (prev << 8) ^ tables[0][prev >>> 24];
    }
  }
  return tables;
})();

function crc24(data: Uint8Array, crc: number): number {
  const [t0, t1, t2, t3] = TABLES;
  let c = crc << 8;
  let i = 0;
  for (const n = data.length - (data.length & 3); i < n; i += 4) {
    c ^= (data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3];
    c = t3[c >>> 24] ^ t2[(c >>> 16) & 0xff] ^ t1[(c >>> 8) & 0xff] ^ t0[c & 0xff];
  }
  for (; i < data.length; i++) c = (c << 8) ^ t0[((c >>> 24) ^ data[i]) & 0xff];
  return (c >>> 8) & 0xffffff;
}

/**
 * An armor being written, chunk by chunk: the head, base64 lines of whatever binary comes, then
 * the last line with its padding, the checksum and the tail. Each method writes into the buffer
 * it is given and returns the offset after what it wrote; `room` bounds what that will be.
 */
export class Armor {
  private readonly eol: Buffer;
  // Up to two bytes that did not fill a group of three yet.
  private readonly pending = new Uint8Array(2);
  private pendingLength = 0;
  private groupsOnLine = 0;
  private crc = CRC24_INIT;

  constructor(eol: string) {
    this.eol = Buffer.from(eol);
  }

  /** Bytes `head` writes. */
  get headLength(): number {
    return ARMOR_HEAD.length + 2 * this.eol.length;
  }

  /** At most the bytes `write` adds for `n` bytes of binary. */
  room(n: number): number {
    const groups = Math.floor((this.pendingLength + n) / 3);
    return groups * 4 + (Math.floor(groups / GROUPS_PER_LINE) + 1) * this.eol.length;
  }

  /** At most the bytes `end` writes. */
  get endRoom(): number {
    return 4 + 5 + ARMOR_TAIL.length + 2 * this.eol.length;
  }

  head(out: Buffer, o: number): number {
    o += out.write(ARMOR_HEAD, o, 'latin1');
    o += this.eol.copy(out, o);
    return o + this.eol.copy(out, o);
  }

  write(data: Uint8Array, out: Buffer, o: number): number {
    this.crc = crc24(data, this.crc);
    let i = 0;
    if (this.pendingLength > 0) {
      while (this.pendingLength < 2 && i < data.length) this.pending[this.pendingLength++] = data[i++];
      if (i === data.length) return o;
      o = this.group((this.pending[0] << 16) | (this.pending[1] << 8) | data[i++], out, o);
      this.pendingLength = 0;
    }
    const wholeEnd = data.length - ((data.length - i) % 3);
    const whole = Buffer.from(data.buffer, data.byteOffset, wholeEnd);
    for (let at = i; at < wholeEnd; at += BLOCK) o = this.lines(whole.subarray(at, at + BLOCK), out, o);
    i = wholeEnd;
    while (i < data.length) this.pending[this.pendingLength++] = data[i++];
    return o;
  }

  /**
   * The base64 of `whole` (whole groups of three bytes) in lines: encoded natively, written
   * at the end of the room it takes once its line ends are in, then each line moved forward to
   * its place (never over bytes not moved yet: a line moves by the line ends still to come).
   */
  private lines(whole: Buffer, out: Buffer, o: number): number {
    const eol = this.eol.length;
    const groups = whole.length / 3;
    const breaks = Math.floor((this.groupsOnLine + groups) / GROUPS_PER_LINE);
    const from = o + breaks * eol;
    const end = from + out.write(whole.toString('base64'), from, 'latin1');
    let at = from;
    let lineGroups = GROUPS_PER_LINE - this.groupsOnLine;
    // The line end written byte by byte: a Buffer.copy call per line cost more than the line.
    const [cr, lf] = eol === 2 ? [this.eol[0], this.eol[1]] : [-1, this.eol[0]];
    while (at < end) {
      const next = Math.min(end, at + lineGroups * 4);
      if (o !== at) out.copyWithin(o, at, next);
      o += next - at;
      if (next - at === lineGroups * 4) {
        if (cr >= 0) out[o++] = cr;
        out[o++] = lf;
        this.groupsOnLine = 0;
      } else {
        this.groupsOnLine += (next - at) / 4;
      }
      at = next;
      lineGroups = GROUPS_PER_LINE;
    }
    return o;
  }

  private group(v: number, out: Buffer, o: number): number {
    const a = ALPHABET;
    out[o] = a[v >>> 18];
    out[o + 1] = a[(v >>> 12) & 63];
    out[o + 2] = a[(v >>> 6) & 63];
    out[o + 3] = a[v & 63];
    o += 4;
    if (++this.groupsOnLine === GROUPS_PER_LINE) {
      o += this.eol.copy(out, o);
      this.groupsOnLine = 0;
    }
    return o;
  }

  /** The last group, padded (RFC 4648 §4), the end of the last line, the checksum, the tail. */
  end(out: Buffer, o: number): number {
    const a = ALPHABET;
    if (this.pendingLength > 0) {
      const v = (this.pending[0] << 16) | (this.pendingLength === 2 ? this.pending[1] << 8 : 0);
      out[o] = a[v >>> 18];
      out[o + 1] = a[(v >>> 12) & 63];
      out[o + 2] = this.pendingLength === 2 ? a[(v >>> 6) & 63] : PAD;
      out[o + 3] = PAD;
      o += 4;
      this.groupsOnLine++;
    }
    if (this.groupsOnLine > 0) o += this.eol.copy(out, o);
    const crc = this.crc;
    out[o] = PAD;
    out[o + 1] = a[crc >>> 18];
    out[o + 2] = a[(crc >>> 12) & 63];
    out[o + 3] = a[(crc >>> 6) & 63];
    out[o + 4] = a[crc & 63];
    o += 5;
    o += this.eol.copy(out, o);
    return o + out.write(ARMOR_TAIL, o, 'latin1');
  }
}

/** `before`, the armor of the binary given in parts, then `after`: one buffer, written once. */
export function armorInto(before: Buffer, parts: Uint8Array[], eol: string, after: Buffer): Buffer {
  const armor = new Armor(eol);
  const n = parts.reduce((sum, p) => sum + p.length, 0);
  const out = Buffer.allocUnsafe(
    before.length + armor.headLength + armor.room(n) + armor.endRoom + after.length,
  );
  let o = before.copy(out, 0);
  o = armor.head(out, o);
  for (const p of parts) o = armor.write(p, out, o);
  o = armor.end(out, o);
  o += after.copy(out, o);
  return out.subarray(0, o);
}

/** Armors a stream of binary chunks as they come, for large messages. */
export async function* armorStream(binary: AsyncIterable<Uint8Array>, eol: string): AsyncGenerator<Buffer> {
  const armor = new Armor(eol);
  const head = Buffer.allocUnsafe(armor.headLength);
  yield head.subarray(0, armor.head(head, 0));
  for await (const chunk of binary) {
    const out = Buffer.allocUnsafe(armor.room(chunk.length));
    const o = armor.write(chunk, out, 0);
    if (o > 0) yield out.subarray(0, o);
  }
  const tail = Buffer.allocUnsafe(armor.endRoom);
  yield tail.subarray(0, armor.end(tail, 0));
}
