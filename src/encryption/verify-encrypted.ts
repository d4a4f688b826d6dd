import { ContentInfo, EnvelopedData, id_envelopedData } from '@peculiar/asn1-cms';
import { AsnParser } from '@peculiar/asn1-schema';
import { Splitter } from '@zone-eu/mailsplit';
import type { MimeNode, SplitterChunk } from '@zone-eu/mailsplit/lib/types';
import * as asn1js from 'asn1js';
import libmime from 'libmime';
import * as openpgp from 'openpgp';

/**
 * Whether a received message may be stored as it came because it is already ciphertext: the
 * gateway then passes it unchanged instead of wrapping it a second time. Only what can be
 * checked counts, never what a header claims; anything else is encrypted.
 *
 * - PGP/MIME (RFC 3156 §4): a multipart/encrypted with protocol application/pgp-encrypted and
 *   exactly two parts, "Version: 1" then the armored OpenPGP message;
 * - inline OpenPGP: a text/plain body that is one armored message and nothing else;
 * - S/MIME (RFC 8551 §3.3): an application/pkcs7-mime body holding one CMS ContentInfo whose
 *   content type is enveloped-data (RFC 5652 §6) or authEnveloped-data (RFC 5083), whatever its
 *   smime-type parameter says (signed-data is readable by anyone).
 *
 * An OpenPGP message qualifies when its packets are session keys (public-key or symmetric)
 * followed by one encrypted data packet (RFC 9580 §10.3), and nothing else.
 */
export async function isVerifiablyEncrypted(raw: Buffer): Promise<boolean> {
  let parts: Part[];
  let structure: string;
  try {
    ({ parts, structure } = await mimeParts(raw));
  } catch {
    return false;
  }
  const [root] = parts;
  // RFC 2045 §5, §6: one Content-Type and at most one Content-Transfer-Encoding, or the reader's
  // choice between them is anyone's guess.
  if (!root?.node.headers) return false;
  if (root.node.headers.get('content-type').length > 1) return false;
  if (root.node.headers.get('content-transfer-encoding').length > 1) return false;
  switch (root.node.contentType) {
    case 'multipart/encrypted':
      return isPgpMime(parts, structure);
    case 'application/pkcs7-mime':
    case 'application/x-pkcs7-mime':
      return parts.length === 1 && isCmsEncrypted(root);
    case 'text/plain':
      return parts.length === 1 && isIdentityEncoded(root.node) && isEncryptedOpenPgp(root.body);
    default:
      return false;
  }
}

interface Part {
  node: MimeNode;
  body: Buffer;
}

// What PGP/MIME may carry besides its two parts in clear (a preamble such as "This is an
// OpenPGP/MIME encrypted message", part headers): mail clients never show it, and it stays
// within the size of a clear Subject, which the sender chooses anyway.
const MAX_CLEAR_EXTRA_BYTES = 512;

/** The message's MIME nodes with their bodies, and the multipart text between them (mailsplit). */
async function mimeParts(raw: Buffer): Promise<{ parts: Part[]; structure: string }> {
  const parts: Array<{ node: MimeNode; body: Buffer[] }> = [];
  const between: Buffer[] = [];
  const splitter = new Splitter();
  splitter.end(raw);
  for await (const chunk of splitter as AsyncIterable<SplitterChunk>) {
    if (chunk.type === 'node') parts.push({ node: chunk, body: [] });
    else if (chunk.type === 'body') parts.at(-1)?.body.push(chunk.value);
    else between.push(chunk.value);
  }
  return {
    parts: parts.map((p) => ({ node: p.node, body: Buffer.concat(p.body) })),
    structure: Buffer.concat(between).toString('latin1'),
  };
}

const isIdentityEncoded = (node: MimeNode) => !node.encoding || ['7bit', '8bit'].includes(node.encoding);

function contentTypeParams(node: MimeNode): Record<string, string> {
  const value = node.headers ? node.headers.getFirst('content-type') : '';
  return libmime.parseHeaderValue(value.replace(/^[^:]*:/, '')).params;
}

/** RFC 3156 §4. */
async function isPgpMime(parts: Part[], structure: string): Promise<boolean> {
  const [root, version, payload] = parts;
  if (parts.length !== 3 || version.node.parentNode !== root.node || payload.node.parentNode !== root.node) {
    return false;
  }
  const { protocol, boundary } = contentTypeParams(root.node);
  if (protocol?.toLowerCase() !== 'application/pgp-encrypted' || !boundary) return false;
  if (version.node.contentType !== 'application/pgp-encrypted') return false;
  if (!/^\s*Version: ?1\s*$/.test(version.body.toString('latin1'))) return false;
  if (payload.node.contentType !== 'application/octet-stream' || !isIdentityEncoded(payload.node))
    return false;
  // Preamble and epilogue: the multipart text less its delimiter lines (RFC 2046 §5.1.1).
  const delimiter = `--${boundary}`;
  const extra = structure
    .split(/\r?\n/)
    .filter((line) => line.trimEnd() !== delimiter && line.trimEnd() !== `${delimiter}--`)
    .join('')
    .trim();
  const partHeaders = [version, payload].map((p) => p.node.getHeaders().toString('latin1'));
  const contentFieldsOnly = partHeaders.every((h) =>
    h
      .split(/\r?\n(?![ \t])/)
      .filter(Boolean)
      .every((field) => /^content-/i.test(field)),
  );
  const clearBytes = extra.length + partHeaders.reduce((n, h) => n + h.length, 0);
  return contentFieldsOnly && clearBytes <= MAX_CLEAR_EXTRA_BYTES && isEncryptedOpenPgp(payload.body);
}

const ARMOR_HEAD = '-----BEGIN PGP MESSAGE-----';
const ARMOR_TAIL = '-----END PGP MESSAGE-----';
const MAX_ARMOR_HEADERS = 5;

/**
 * One armored OpenPGP message (RFC 9580 §6.2) and nothing else around it but white space: its
 * header lines, base64 lines and optional checksum line, checked line by line so that no text
 * can hide between them; then the packets, parsed by openpgp.js.
 */
async function isEncryptedOpenPgp(body: Buffer): Promise<boolean> {
  const lines = body.toString('latin1').trim().split(/\r?\n/);
  if (lines.length < 3 || lines[0].trimEnd() !== ARMOR_HEAD || lines.at(-1)!.trimEnd() !== ARMOR_TAIL)
    return false;
  let i = 1;
  for (; i < lines.length - 1 && lines[i].trim() !== ''; i++) {
    if (i > MAX_ARMOR_HEADERS || !/^[A-Za-z][A-Za-z-]*: [\x20-\x7e]*$/.test(lines[i].trimEnd())) return false;
  }
  const base64: string[] = [];
  for (i++; i < lines.length - 1; i++) {
    const line = lines[i].trimEnd();
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(line)) base64.push(line);
    else if (!(i === lines.length - 2 && /^=[A-Za-z0-9+/]{4}$/.test(line))) return false;
  }
  return base64.length > 0 && isEncryptedPacketList(Buffer.from(base64.join(''), 'base64'));
}

/** RFC 9580 §10.3: ESK packets, then one encrypted data packet. */
async function isEncryptedPacketList(binary: Uint8Array): Promise<boolean> {
  let packets: openpgp.AnyPacket[];
  try {
    const message = await openpgp.readMessage({
      binaryMessage: binary,
      config: { ignoreUnsupportedPackets: false, ignoreMalformedPackets: false },
    });
    packets = [...message.packets];
  } catch {
    return false;
  }
  const data = packets.pop();
  const sessionKeys = packets.every(
    (p) =>
      p instanceof openpgp.PublicKeyEncryptedSessionKeyPacket ||
      p instanceof openpgp.SymEncryptedSessionKeyPacket,
  );
  const encrypted =
    data instanceof openpgp.SymEncryptedIntegrityProtectedDataPacket ||
    data instanceof openpgp.AEADEncryptedDataPacket ||
    data instanceof openpgp.SymmetricallyEncryptedDataPacket;
  return packets.length > 0 && sessionKeys && encrypted;
}

// RFC 5083 §1.1 (not in @peculiar/asn1-cms).
const ID_CT_AUTH_ENVELOPED_DATA = '1.2.840.113549.1.9.16.1.23';

/** RFC 8551 §3.3 body: base64 (or binary) of one CMS ContentInfo (RFC 5652 §3). */
function isCmsEncrypted(part: Part): boolean {
  let der: Buffer;
  if (part.node.encoding === 'base64') {
    const text = part.body.toString('latin1').replace(/[\r\n\t ]/g, '');
    // Node's decoder skips characters outside the alphabet: refuse them instead.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return false;
    der = Buffer.from(text, 'base64');
  } else if (part.node.encoding === 'binary') {
    der = part.body;
  } else {
    return false;
  }
  try {
    const ber = asn1js.fromBER(der);
    // The whole body is the one structure: nothing may follow it.
    if (ber.offset !== der.length || ber.result.error) return false;
    const info = AsnParser.fromASN<ContentInfo>(ber.result, ContentInfo);
    if (info.contentType === ID_CT_AUTH_ENVELOPED_DATA) return true;
    if (info.contentType !== id_envelopedData) return false;
    const enveloped = AsnParser.parse(info.content, EnvelopedData);
    return (
      enveloped.recipientInfos.length > 0 && enveloped.encryptedContentInfo.encryptedContent !== undefined
    );
  } catch {
    return false;
  }
}
