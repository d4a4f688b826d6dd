import crypto from 'node:crypto';
import * as openpgp from 'openpgp';

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

// DESIGN.md "Encryption model": routing and display fields stay in clear, with the trace
// fields that MTAs and filters read (RFC 5321 §4.4, RFC 6376, RFC 8601).
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
]);
const isClear = (name: string) => CLEAR.has(name) || name.startsWith('list-');

function mediaType(fields: HeaderField[]): string {
  const ct = fields.find((f) => f.name === 'content-type');
  return ct ? fieldValue(ct).split(';')[0].trim().toLowerCase() : 'text/plain';
}

/** PGP/MIME (RFC 3156 §4), S/MIME (RFC 8551 §3.2) or inline PGP: stored as it came. */
export function isAlreadyEncrypted(message: SplitMessage): boolean {
  const type = mediaType(message.fields);
  if (type === 'multipart/encrypted') return true;
  if (type === 'application/pkcs7-mime' || type === 'application/x-pkcs7-mime') return true;
  if (type !== 'text/plain') return false;
  const head = message.body.subarray(0, 1024).toString('latin1').trimStart();
  return head.startsWith('-----BEGIN PGP MESSAGE-----');
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

/** The armored OpenPGP message (RFC 3156 §4 requires ASCII armor), lines ended with `eol`. */
export async function encryptEntity(entity: Buffer, keys: openpgp.PublicKey[], eol: string): Promise<Buffer> {
  const armored = await openpgp.encrypt({
    message: await openpgp.createMessage({ binary: entity }),
    encryptionKeys: keys,
    format: 'armored',
  });
  return Buffer.from(eol === '\n' ? armored : armored.replace(/\r?\n/g, eol));
}

/** The whole PGP/MIME message for these keys, or undefined when it is already encrypted. */
export async function encryptMessage(
  raw: Buffer,
  keys: openpgp.PublicKey[],
  opts: PgpMimeOptions = {},
): Promise<Buffer | undefined> {
  if (keys.length === 0) throw new Error('no encryption key');
  const message = splitMessage(raw);
  if (isAlreadyEncrypted(message)) return undefined;
  const boundary = newBoundary();
  const armored = await encryptEntity(innerEntity(message, opts), keys, message.eol);
  return Buffer.concat([outerHead(message, boundary, opts), armored, outerTail(boundary, message.eol)]);
}
