import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { armorInto, armorStream } from './armor';
import { ecdhRecipient, encryptForEcdhRecipients, type EcdhRecipient } from './ecdh-session-key';
import { isVerifiablyEncrypted } from './verify-encrypted';
import { YoungGarbage } from './young-garbage';

/**
 * RFC 3156 PGP/MIME encryption of a received message, without parsing its body: the header
 * block is split off at the first empty line, the Content-* fields and the body become the
 * encrypted entity byte for byte, and routing and display fields stay in clear.
 */

export interface HeaderField {
  /** Lowercase field name. */
  name: string;
  /** The field as received, folded lines and line ending included. */
  raw: Buffer;
}

export interface SplitMessage {
  fields: HeaderField[];
  body: Buffer;
  /** The line ending the message uses (CRLF over LMTP). */
  eol: string;
}

/** RFC 5322 §2.1: the header ends at the first empty line; a message may have no body. */
export function splitMessage(raw: Buffer): SplitMessage {
  let end = -1;
  let sepLength = 0;
  if (raw.subarray(0, 2).equals(Buffer.from('\r\n'))) [end, sepLength] = [0, 2];
  else if (raw[0] === 0x0a) [end, sepLength] = [0, 1];
  for (let i = raw.indexOf(0x0a); end < 0 && i >= 0 && i < raw.length - 1; i = raw.indexOf(0x0a, i + 1)) {
    if (raw[i + 1] === 0x0a) [end, sepLength] = [i + 1, 1];
    else if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) [end, sepLength] = [i + 1, 2];
  }
  const header = end < 0 ? raw : raw.subarray(0, end);
  const body = end < 0 ? Buffer.alloc(0) : raw.subarray(end + sepLength);
  return { fields: parseFields(header), body, eol: sepLength === 1 ? '\n' : '\r\n' };
}

/** RFC 5322 §2.2.3: a line starting with a space or tab continues the field before it. */
function parseFields(header: Buffer): HeaderField[] {
  const fields: HeaderField[] = [];
  let start = 0;
  while (start < header.length) {
    let end = start;
    do {
      const nl = header.indexOf(0x0a, end);
      end = nl < 0 ? header.length : nl + 1;
    } while (end < header.length && (header[end] === 0x20 || header[end] === 0x09));
    const raw = header.subarray(start, end);
    const colon = raw.indexOf(0x3a);
    fields.push({
      name: (colon > 0 ? raw.subarray(0, colon).toString('latin1') : '').trim().toLowerCase(),
      raw,
    });
    start = end;
  }
  return fields;
}

/** The unfolded value of a field. */
export function fieldValue(field: HeaderField): string {
  const text = field.raw.toString('utf8');
  return text
    .slice(text.indexOf(':') + 1)
    .replace(/\r?\n(?=[ \t])/g, '')
    .trim();
}

// Routing and display fields stay in clear (mail clients and Sieve read them), with the trace
// fields that MTAs and filters read (RFC 5321 §4.4, RFC 6376, RFC 8601). The MX's own spam
// verdict (X-Spam, X-Spam-Status) and fuzzy digests (X-Giroflee-Digest) stay out too: the Sieve
// rule that files junk runs after encryption, and a member's junk report sends the digests to
// rspamd from the stored copy, which the server cannot decrypt. rspamd removed any copy of these
// that came from outside before writing ours. The digests are hashes of the text, not the text:
// they let someone holding the store tell whether a message matches one they already know,
// which junk learning needs.
const CLEAR = new Set([
  'from',
  'to',
  'cc',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'subject',
  'reply-to',
  'received',
  'return-path',
  'dkim-signature',
  'authentication-results',
  'x-spam',
  'x-spam-status',
  'x-giroflee-digest',
]);
const isClear = (name: string) => CLEAR.has(name) || name.startsWith('list-');

const CLAIMS_ENCRYPTION = new Set([
  'multipart/encrypted',
  'application/pkcs7-mime',
  'application/x-pkcs7-mime',
]);

/**
 * Whether the message claims to be ciphertext (a Content-Type field, or a body starting with
 * OpenPGP armor): only then is it worth the full check of isVerifiablyEncrypted.
 */
function claimsEncryption(message: SplitMessage): boolean {
  const types = message.fields
    .filter((f) => f.name === 'content-type')
    .map((f) => fieldValue(f).split(';')[0].trim().toLowerCase());
  if (types.some((t) => CLAIMS_ENCRYPTION.has(t))) return true;
  return message.body
    .subarray(0, 1024)
    .toString('latin1')
    .trimStart()
    .startsWith('-----BEGIN PGP MESSAGE-----');
}

/** PGP/MIME, inline OpenPGP or S/MIME that is verifiably ciphertext: stored as it came. */
export async function isAlreadyEncrypted(raw: Buffer, message = splitMessage(raw)): Promise<boolean> {
  return claimsEncryption(message) && isVerifiablyEncrypted(raw);
}

export interface PgpMimeOptions {
  /** Outer Subject "...", the real one inside as protected headers (as Thunderbird reads). */
  protectedSubject?: boolean;
}

/**
 * The inner entity: every field that does not stay in clear (Content-* first of all), then the
 * body untouched. With a protected subject, the Content-Type says `protected-headers="v1"` and
 * the display fields are repeated inside (draft-ietf-lamps-header-protection).
 */
export function innerEntity(message: SplitMessage, opts: PgpMimeOptions = {}): Buffer {
  const { fields, body, eol } = message;
  const inside = fields.filter((f) => !isClear(f.name));
  const parts: Buffer[] = [];
  if (opts.protectedSubject) {
    const ct = inside.find((f) => f.name === 'content-type');
    const type = ct ? fieldValue(ct) : 'text/plain; charset=us-ascii';
    parts.push(Buffer.from(`Content-Type: ${type}; protected-headers="v1"${eol}`));
    for (const f of fields) {
      if (['from', 'to', 'cc', 'date', 'message-id', 'subject', 'reply-to'].includes(f.name))
        parts.push(f.raw);
    }
    for (const f of inside) if (f !== ct) parts.push(f.raw);
  } else {
    parts.push(...inside.map((f) => f.raw));
  }
  parts.push(Buffer.from(eol), body);
  return Buffer.concat(parts);
}

/** The outer header: clear fields as received, then the RFC 3156 §4 multipart/encrypted head. */
export function outerHead(message: SplitMessage, boundary: string, opts: PgpMimeOptions = {}): Buffer {
  const { fields, eol } = message;
  const clear = fields.filter((f) => isClear(f.name));
  const parts = clear.map((f) =>
    opts.protectedSubject && f.name === 'subject' ? Buffer.from(`Subject: ...${eol}`) : f.raw,
  );
  parts.push(
    Buffer.from(
      [
        'MIME-Version: 1.0',
        `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";`,
        ` boundary="${boundary}"`,
        '',
        'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)',
        `--${boundary}`,
        'Content-Type: application/pgp-encrypted',
        'Content-Description: PGP/MIME version identification',
        '',
        'Version: 1',
        '',
        `--${boundary}`,
        'Content-Type: application/octet-stream; name="encrypted.asc"',
        'Content-Description: OpenPGP encrypted message',
        'Content-Disposition: inline; filename="encrypted.asc"',
        '',
        '',
      ].join(eol),
    ),
  );
  return Buffer.concat(parts);
}

export function outerTail(boundary: string, eol: string): Buffer {
  return Buffer.from(`${eol}--${boundary}--${eol}`);
}

export function newBoundary(): string {
  return `giroflee-${crypto.randomBytes(12).toString('hex')}`;
}

/** The keys in native form when all of them can take the native session-key wrap. */
async function ecdhRecipients(keys: openpgp.PublicKey[]): Promise<EcdhRecipient[] | null> {
  const found = await Promise.all(keys.map(ecdhRecipient));
  return found.every((r) => r !== null) ? (found as EcdhRecipient[]) : null;
}

/**
 * Binary OpenPGP of the inner entity for `keys`, in pieces: natively for classic Curve25519
 * keys (a lazy sequence of ciphertext slices), otherwise through openpgp.js, whole or streamed.
 */
async function encryptBinary(
  message: SplitMessage,
  opts: PgpMimeOptions,
  keys: openpgp.PublicKey[],
  streamed: boolean,
): Promise<Iterable<Uint8Array | ReadableStream<Uint8Array>>> {
  const native = await ecdhRecipients(keys);
  const head = innerEntity({ ...message, body: Buffer.alloc(0) }, opts);
  if (native) return encryptForEcdhRecipients([head, message.body], native);
  const encrypted = await openpgp.encrypt({
    message: await openpgp.createMessage({
      binary: streamed
        ? entityStream(head, message.body)
        : (Buffer.concat([head, message.body]) as Uint8Array),
    }),
    encryptionKeys: keys,
    format: 'binary',
  });
  return [encrypted as Uint8Array | ReadableStream<Uint8Array>];
}

/** The whole PGP/MIME message for these keys, or undefined when it is already encrypted. */
export async function encryptMessage(
  raw: Buffer,
  keys: openpgp.PublicKey[],
  opts: PgpMimeOptions = {},
): Promise<Buffer | undefined> {
  if (keys.length === 0) throw new Error('no encryption key');
  const message = splitMessage(raw);
  if (await isAlreadyEncrypted(raw, message)) return undefined;
  const boundary = newBoundary();
  const parts = [...(await encryptBinary(message, opts, keys, false))] as Uint8Array[];
  return armorInto(outerHead(message, boundary, opts), parts, message.eol, outerTail(boundary, message.eol));
}

/** The chunks of byte arrays and streams, in order. */
async function* chunksOf(
  parts: Iterable<Uint8Array | ReadableStream<Uint8Array>>,
): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    if (part instanceof Uint8Array) yield part;
    else {
      const reader = part.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) yield r.value;
    }
  }
}

// The body is handed to openpgp.js as a stream of views into the received message (no copy).
const SLICE = 256 * 1024;

function entityStream(head: Buffer, body: Buffer): ReadableStream<Uint8Array> {
  let offset = -1;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset < 0) {
        controller.enqueue(head);
        offset = 0;
      } else if (offset < body.length) {
        controller.enqueue(body.subarray(offset, offset + SLICE));
        offset += SLICE;
      } else {
        controller.close();
      }
    },
  });
}

/**
 * The same for large messages, with memory kept near the message's own size: the entity is
 * encrypted slice by slice and the armored ciphertext streamed out as it is sent. Keys are
 * checked first, so an unusable key fails before anything is sent; a failure later errors the
 * stream, and the sender must then drop the connection before the final dot (RFC 5321 §4.1.1.4),
 * so that nothing is stored. Returns a stream factory (each call encrypts anew), or undefined when the message is
 * already encrypted.
 */
export async function encryptLargeMessage(
  raw: Buffer,
  keys: openpgp.PublicKey[],
  opts: PgpMimeOptions = {},
): Promise<(() => Readable) | undefined> {
  if (keys.length === 0) throw new Error('no encryption key');
  const message = splitMessage(raw);
  if (await isAlreadyEncrypted(raw, message)) return undefined;
  for (const key of keys) await key.getEncryptionKey();
  const boundary = newBoundary();
  const head = outerHead(message, boundary, opts);
  const tail = outerTail(boundary, message.eol);
  return () =>
    Readable.from(
      (async function* () {
        const parts = await encryptBinary(message, opts, keys, true);
        // Each armored piece leaves two buffers behind: itself once sent, and its ciphertext.
        const garbage = new YoungGarbage();
        yield head;
        for await (const piece of armorStream(chunksOf(parts), message.eol)) {
          yield piece;
          garbage.passed(piece.length);
        }
        yield tail;
      })(),
    );
}
