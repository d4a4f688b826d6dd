/**
 * Writes the messages the webmail sends and stores (RFC 5322 and MIME, RFC 2045–2047, 2231).
 * Written here rather than taken from a library: the browser ones we weighed either label UTF-8
 * text `7bit` with bare LF line ends and unwrapped lines (mimetext), or pull a 600 KB encoding
 * polyfill and a functional toolkit into the Worker (emailjs-mime-builder). What a webmail sends
 * is small: plain text, attachments, an encrypted envelope.
 */

export interface Mailbox {
  name: string;
  address: string;
}

export interface Attachment {
  filename: string;
  mimeType: string;
  content: ArrayBuffer;
}

export interface MessageFields {
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
  subject: string;
  date: Date;
  messageId: string;
  inReplyTo?: string | null;
  references?: string[];
}

const CRLF = '\r\n';
const encoder = new TextEncoder();

const randomHex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');

/** RFC 5322 §3.6.4: unique, and saying nothing about the writer but the domain it writes from. */
export function newMessageId(from: string): string {
  return `<${randomHex(16)}@${from.split('@')[1] ?? 'localhost'}>`;
}

export const newBoundary = () => `=_giroflee_${randomHex(12)}`;

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** RFC 2045 §6.8: base64 in lines of 76 characters. */
export function base64Lines(bytes: Uint8Array): string {
  const text = base64(bytes);
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  return lines.join(CRLF);
}

/**
 * RFC 2045 §6.7 quoted-printable of UTF-8 text: line breaks stay hard breaks (CRLF), lines are
 * cut at 76 characters with soft breaks, and trailing white space is encoded.
 */
export function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const bytes = encoder.encode(line);
    let current = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      const last = i === bytes.length - 1;
      const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
      const piece = literal ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
      if (current.length + piece.length > 75) {
        out.push(`${current}=`);
        current = '';
      }
      current += piece;
    }
    out.push(current);
  }
  return out.join(CRLF);
}

const isAsciiPrintable = (s: string) => /^[\x20-\x7e]*$/.test(s);

/** RFC 2047 §5: encoded words of at most 75 characters, each on its own folded line. */
function encodedWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  // Cut between characters, never inside one: each word decodes on its own.
  for (const char of text) {
    const next = chunk + char;
    if (base64(encoder.encode(next)).length > 75 - '=?UTF-8?B??='.length) {
      words.push(chunk);
      chunk = char;
    } else chunk = next;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${base64(encoder.encode(w))}?=`).join(`${CRLF} `);
}

/** Unstructured text (Subject): as it is when plain ASCII, else encoded words. */
export function unstructured(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  if (isAsciiPrintable(clean) && !/=\?/.test(clean)) return foldAtSpaces(clean);
  return encodedWords(clean);
}

function foldAtSpaces(text: string): string {
  const parts = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    if (line && line.length + 1 + part.length > 76) {
      lines.push(line);
      line = part;
    } else line = line ? `${line} ${part}` : part;
  }
  lines.push(line);
  return lines.join(`${CRLF} `);
}

/** RFC 5322 §3.4: `"Name" <address>`, the name quoted or encoded; the address in A-labels. */
export function mailbox(m: Mailbox): string {
  const [local, domain = ''] = m.address.split('@');
  let ascii = domain;
  try {
    ascii = new URL(`http://${domain}`).hostname;
  } catch {
    // Not a host name: left as typed, and the server refuses it.
  }
  const address = `${local}@${ascii}`;
  const name = m.name.replace(/[\r\n]+/g, ' ').trim();
  if (!name) return `<${address}>`;
  if (isAsciiPrintable(name) && !/=\?/.test(name))
    return `"${name.replace(/(["\\])/g, '\\$1')}" <${address}>`;
  return `${encodedWords(name)} <${address}>`;
}

function addressList(list: Mailbox[]): string {
  return list.map(mailbox).join(`,${CRLF} `);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 §3.3, in UTC: the Date says when, not in which time zone the writer lives. */
export function rfc5322Date(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(
    d.getUTCHours(),
  )}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** RFC 2231: a parameter value as it is when plain ASCII, else percent-encoded UTF-8. */
function parameter(name: string, value: string): string {
  if (isAsciiPrintable(value)) return `${name}="${value.replace(/(["\\])/g, '\\$1')}"`;
  const encoded = [...encoder.encode(value)]
    .map((b) =>
      /[A-Za-z0-9!#$&+.^_`|~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
  return `${name}*=UTF-8''${encoded}`;
}

/** The header fields of a message, in the order mail clients write them. */
export function headerFields(f: MessageFields, options: { bcc: boolean; subject?: string }): string[] {
  const fields = [`Date: ${rfc5322Date(f.date)}`, `From: ${mailbox(f.from)}`];
  if (f.to.length) fields.push(`To: ${addressList(f.to)}`);
  if (f.cc.length) fields.push(`Cc: ${addressList(f.cc)}`);
  if (options.bcc && f.bcc.length) fields.push(`Bcc: ${addressList(f.bcc)}`);
  fields.push(`Subject: ${unstructured(options.subject ?? f.subject)}`);
  fields.push(`Message-ID: ${f.messageId}`);
  if (f.inReplyTo) fields.push(`In-Reply-To: ${f.inReplyTo}`);
  if (f.references?.length) fields.push(`References: ${f.references.join(`${CRLF} `)}`);
  return fields;
}

/**
 * The body entity: its Content-* fields and content. Plain text alone, or multipart/mixed with
 * the attachments. `extraType` adds parameters to the top Content-Type (protected headers).
 */
export function bodyEntity(
  text: string,
  attachments: Attachment[],
  options: { extraType?: string; innerFields?: string[] } = {},
): string {
  const textPart = [
    `Content-Type: text/plain; charset=utf-8`,
    'Content-Transfer-Encoding: quoted-printable',
    '',
    quotedPrintable(text),
  ];
  const extra = options.extraType ? `; ${options.extraType}` : '';
  const inner = options.innerFields ?? [];
  if (attachments.length === 0) {
    return [`${textPart[0]}${extra}`, ...inner, ...textPart.slice(1)].join(CRLF);
  }
  const boundary = newBoundary();
  const parts = [
    textPart.join(CRLF),
    ...attachments.map((a) =>
      [
        `Content-Type: ${a.mimeType || 'application/octet-stream'}; ${parameter('name', a.filename)}`,
        `Content-Disposition: attachment; ${parameter('filename', a.filename)}`,
        'Content-Transfer-Encoding: base64',
        '',
        base64Lines(new Uint8Array(a.content)),
      ].join(CRLF),
    ),
  ];
  return [
    `Content-Type: multipart/mixed; boundary="${boundary}"${extra}`,
    ...inner,
    '',
    ...parts.map((p) => `--${boundary}${CRLF}${p}`),
    `--${boundary}--`,
    '',
  ].join(CRLF);
}

/** A whole message in clear: header fields, MIME-Version, the body entity. */
export function clearMessage(
  f: MessageFields,
  text: string,
  attachments: Attachment[],
  bcc: boolean,
): Uint8Array {
  const head = [...headerFields(f, { bcc }), 'MIME-Version: 1.0'];
  return encoder.encode(`${head.join(CRLF)}${CRLF}${bodyEntity(text, attachments)}`);
}

/** The body entity of a message in clear, as bytes: what a detached signature covers. */
export function clearEntity(text: string, attachments: Attachment[]): Uint8Array {
  return encoder.encode(bodyEntity(text, attachments));
}

/**
 * RFC 3156 §5: a message in clear with an OpenPGP signature of its body entity. `entity` goes in
 * byte for byte (it is 7-bit with CRLF line ends, as the signature requires); the CRLF before the
 * next boundary belongs to the boundary, not to what was signed.
 */
export function signedMessage(
  f: MessageFields,
  entity: Uint8Array,
  signature: { armored: string; micalg: string },
  bcc: boolean,
): Uint8Array {
  const boundary = newBoundary();
  const head = [
    ...headerFields(f, { bcc }),
    'MIME-Version: 1.0',
    `Content-Type: multipart/signed; micalg="${signature.micalg}"; protocol="application/pgp-signature"; boundary="${boundary}"`,
  ];
  const before = `${head.join(CRLF)}${CRLF}${CRLF}This is an OpenPGP/MIME signed message (RFC 4880 and 3156)${CRLF}--${boundary}${CRLF}`;
  const after = [
    '',
    `--${boundary}`,
    'Content-Type: application/pgp-signature; name="signature.asc"',
    'Content-Description: OpenPGP digital signature',
    'Content-Disposition: attachment; filename="signature.asc"',
    '',
    signature.armored.replace(/\r?\n/g, CRLF).trimEnd(),
    '',
    `--${boundary}--`,
    '',
  ].join(CRLF);
  const [head8, tail8] = [encoder.encode(before), encoder.encode(after)];
  const out = new Uint8Array(head8.length + entity.length + tail8.length);
  out.set(head8);
  out.set(entity, head8.length);
  out.set(tail8, head8.length + entity.length);
  return out;
}

/**
 * The entity to encrypt for a PGP/MIME message, with the message's header fields inside
 * ("protected headers", as Thunderbird and the platform's gateway write them): the reader
 * shows the real subject even when the outer one is "...".
 */
export function protectedEntity(
  f: MessageFields,
  text: string,
  attachments: Attachment[],
  bcc: boolean,
): Uint8Array {
  return encoder.encode(
    bodyEntity(text, attachments, {
      extraType: 'protected-headers="v1"',
      innerFields: headerFields(f, { bcc }),
    }),
  );
}

/** RFC 3156 §4: the multipart/encrypted envelope around an armored OpenPGP message. */
export function pgpMimeMessage(
  f: MessageFields,
  armored: string,
  options: { protectSubject: boolean; bcc?: boolean },
): Uint8Array {
  const boundary = newBoundary();
  const head = [
    // An outgoing message names its Bcc for the server, which takes them as recipients and drops
    // the field; a stored copy keeps them inside only.
    ...headerFields(f, { bcc: options.bcc ?? false, subject: options.protectSubject ? '...' : f.subject }),
    'MIME-Version: 1.0',
    `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="${boundary}"`,
  ];
  const body = [
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
    armored.replace(/\r?\n/g, CRLF).trimEnd(),
    '',
    `--${boundary}--`,
    '',
  ];
  return encoder.encode(`${head.join(CRLF)}${CRLF}${CRLF}${body.join(CRLF)}`);
}
