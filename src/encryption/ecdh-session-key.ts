import crypto from 'node:crypto';
import * as openpgp from 'openpgp';

/**
 * The session key wrapped for a classic v4 ECDH Curve25519 key (the kind giroflee generates),
 * computed with Node's native X25519, hash and AES key wrap. openpgp.js does the same through
 * eight WebCrypto promise round trips per message (generate, export twice, import, derive, then
 * import twice and wrap), which cost more CPU than encrypting a 10 KB message: about 1.4 ms
 * against 0.1 ms here. The algorithms, parameters and packet are unchanged (RFC 6637 §7–8, as
 * RFC 9580 §5.1.6 and §11.5 keep them for Curve25519Legacy), so every reader, GnuPG 2.2
 * included, decrypts it as before. Keys of any other kind go through openpgp.js.
 */

export interface EcdhRecipient {
  /** Key ID of the encryption subkey (8 bytes). */
  keyId: Uint8Array;
  /** v4 fingerprint of the encryption subkey (20 bytes), part of the KDF parameters. */
  fingerprint: Uint8Array;
  publicKey: crypto.KeyObject;
  kdfHash: { id: number; name: string };
  kek: { id: number; bytes: number; cipher: string };
}

// RFC 6637 §9 / RFC 9580 §9.2: the Curve25519Legacy OID 1.3.6.1.4.1.3029.1.5.1, length first.
const CURVE25519_OID = Buffer.from([0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01]);
const ECDH = openpgp.enums.publicKey.ecdh;
const HASHES: Record<number, string> = {
  [openpgp.enums.hash.sha256]: 'sha256',
  [openpgp.enums.hash.sha384]: 'sha384',
  [openpgp.enums.hash.sha512]: 'sha512',
};
const KEK_BYTES: Record<number, number> = {
  [openpgp.enums.symmetric.aes128]: 16,
  [openpgp.enums.symmetric.aes192]: 24,
  [openpgp.enums.symmetric.aes256]: 32,
};
const ANONYMOUS_SENDER = Buffer.from('Anonymous Sender    ', 'latin1');
// RFC 3394 §2.2.3.1 default initial value.
const KEY_WRAP_IV = Buffer.alloc(8, 0xa6);
// RFC 7748 §4.1: the base point, u = 9. X25519(k, 9) is the public key of k (§6.1).
const BASE_POINT = crypto.createPublicKey({
  key: { kty: 'OKP', crv: 'X25519', x: Buffer.from([9, ...Buffer.alloc(31)]).toString('base64url') },
  format: 'jwk',
});
const SESSION_KEY_ALGORITHM = openpgp.enums.symmetric.aes256;

interface EcdhPublicParams {
  oid: { write(): Uint8Array };
  Q: Uint8Array;
  kdfParams: { hash: number; cipher: number };
}

// A recipient's encryption subkey is looked up again after this long (expiry, revocation).
const RECHECK_MS = 60_000;
const recipients = new WeakMap<openpgp.PublicKey, { at: number; recipient: EcdhRecipient | null }>();

/**
 * The key's current encryption subkey in native form, or null when the native path does not
 * apply: not a v4 ECDH Curve25519Legacy subkey, a KDF outside SHA-2 and AES, or a key that does
 * not accept AES-256 (the session key algorithm openpgp.js would choose for it).
 */
export async function ecdhRecipient(key: openpgp.PublicKey): Promise<EcdhRecipient | null> {
  const cached = recipients.get(key);
  if (cached && Date.now() - cached.at < RECHECK_MS) return cached.recipient;
  const recipient = await toRecipient(key).catch(() => null);
  recipients.set(key, { at: Date.now(), recipient });
  return recipient;
}

async function toRecipient(key: openpgp.PublicKey): Promise<EcdhRecipient | null> {
  const subkey = await key.getEncryptionKey();
  const packet = subkey.keyPacket;
  if (packet.version !== 4 || packet.algorithm !== ECDH) return null;
  const { oid, Q, kdfParams } = packet.publicParams as EcdhPublicParams;
  if (!Buffer.from(oid.write()).equals(CURVE25519_OID) || Q.length !== 33 || Q[0] !== 0x40) return null;
  const hash = HASHES[kdfParams.hash];
  const kekBytes = KEK_BYTES[kdfParams.cipher];
  if (!hash || !kekBytes) return null;
  const { selfCertification } = await key.getPrimaryUser();
  if (!selfCertification.preferredSymmetricAlgorithms?.includes(SESSION_KEY_ALGORITHM)) return null;
  const publicKey = crypto.createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(Q.subarray(1)).toString('base64url') },
    format: 'jwk',
  });
  return {
    keyId: Buffer.from(subkey.getKeyID().toHex(), 'hex'),
    fingerprint: packet.getFingerprintBytes()!,
    publicKey,
    kdfHash: { id: kdfParams.hash, name: hash },
    kek: { id: kdfParams.cipher, bytes: kekBytes, cipher: `id-aes${kekBytes * 8}-wrap` },
  };
}

/** RFC 4880 §5.1: the two-octet sum of the session key's octets. */
function checksum(key: Uint8Array): number {
  let sum = 0;
  for (const b of key) sum = (sum + b) & 0xffff;
  return sum;
}

/** The body of a v3 PKESK packet (RFC 9580 §5.1) carrying `sessionKey` for `r`. */
export function wrapSessionKey(r: EcdhRecipient, sessionKey: Uint8Array): Buffer {
  const ephemeral = crypto.generateKeyPairSync('x25519');
  // RFC 6637 §8: the shared point, little-endian as X25519 gives it (RFC 7748 §5).
  const shared = crypto.diffieHellman({ privateKey: ephemeral.privateKey, publicKey: r.publicKey });
  if (shared.every((b) => b === 0)) throw new Error('X25519: low-order recipient point');
  // RFC 6637 §7: Param, then Z = Hash(00 00 00 01 || ZB || Param), its leftmost KEK-size octets.
  const param = Buffer.concat([
    CURVE25519_OID,
    Buffer.from([ECDH, 3, 1, r.kdfHash.id, r.kek.id]),
    ANONYMOUS_SENDER,
    r.fingerprint,
  ]);
  const z = crypto
    .createHash(r.kdfHash.name)
    .update(Buffer.from([0, 0, 0, 1]))
    .update(shared)
    .update(param)
    .digest()
    .subarray(0, r.kek.bytes);
  // RFC 6637 §8: m = algorithm || key || checksum, PKCS #5 padded to a multiple of 8 octets.
  const unpadded = 1 + sessionKey.length + 2;
  const pad = 8 - (unpadded % 8);
  const m = Buffer.alloc(unpadded + pad, pad);
  m[0] = SESSION_KEY_ALGORITHM;
  m.set(sessionKey, 1);
  m.writeUInt16BE(checksum(sessionKey), 1 + sessionKey.length);
  const kw = crypto.createCipheriv(r.kek.cipher, z, KEY_WRAP_IV);
  const wrapped = Buffer.concat([kw.update(m), kw.final()]);
  // The ephemeral public key is computed, not exported: Node 20's JWK export of a generated key
  // holds the key's lock while it allocates, and a garbage collection then destroying the
  // finished key generation job takes the same lock: the process hangs for good (seen under
  // load in bench/inbound). A derivation allocates nothing under that lock.
  const u = crypto.diffieHellman({ privateKey: ephemeral.privateKey, publicKey: BASE_POINT });
  // The ephemeral key as an MPI of 0x40 || u (263 bits), then the wrapped key with its length.
  return Buffer.concat([
    Buffer.from([3]),
    r.keyId,
    Buffer.from([ECDH, 0x01, 0x07, 0x40]),
    u,
    Buffer.from([wrapped.length]),
    wrapped,
  ]);
}

/** RFC 9580 §4.2.1: a packet header in the OpenPGP format, with a definite length. */
function packetHeader(tag: number, length: number): Buffer {
  if (length < 192) return Buffer.from([0xc0 | tag, length]);
  if (length < 8384) return Buffer.from([0xc0 | tag, ((length - 192) >> 8) + 192, (length - 192) & 0xff]);
  const header = Buffer.from([0xc0 | tag, 0xff, 0, 0, 0, 0]);
  header.writeUInt32BE(length, 2);
  return header;
}

const PKESK = 1;
const LITERAL = 11;
const SEIPD = 18;
const MDC_HEAD = Buffer.from([0xd3, 0x14]);
// The body is encrypted in slices, so that a large message's ciphertext can be sent as it comes.
const SLICE = 256 * 1024;

/**
 * Binary OpenPGP of the concatenation of `parts` for these recipients: their v3 PKESK packets,
 * then a SEIPD v1 packet (RFC 9580 §5.13.1) under AES-256 holding a literal data packet (§5.9:
 * binary, no file name, date 0 as "no specific time") and the SHA-1 MDC, in slices of the
 * ciphertext as they are encrypted. These are the packets openpgp.js writes, with definite
 * lengths, computed with Node's native AES-CFB and SHA-1: openpgp.js joined the whole message
 * into fresh buffers four times over (a fifth of the gateway's CPU at 1 MB, bench/RESULTS.md).
 */
export function* encryptForEcdhRecipients(
  parts: Uint8Array[],
  recipients: EcdhRecipient[],
): Generator<Buffer> {
  const sessionKey = crypto.randomBytes(32);
  const pkesks = recipients.map((r) => {
    const body = wrapSessionKey(r, sessionKey);
    return Buffer.concat([packetHeader(PKESK, body.length), body]);
  });
  const dataLength = parts.reduce((n, p) => n + p.length, 0);
  const literalHeader = packetHeader(LITERAL, 6 + dataLength);
  // RFC 9580 §5.13.2: a block of random octets, its last two repeated, then the plaintext.
  const random = crypto.randomBytes(16);
  const prefix = Buffer.concat([random, random.subarray(14)]);
  const plainLength = prefix.length + literalHeader.length + 6 + dataLength + MDC_HEAD.length + 20;
  // SEIPD v1 is CFB over the whole plaintext with an IV of zeros, without resynchronisation.
  const cipher = crypto.createCipheriv('aes-256-cfb', sessionKey, Buffer.alloc(16));
  const mdc = crypto.createHash('sha1');
  const encrypt = (plain: Uint8Array) => {
    mdc.update(plain);
    return cipher.update(plain);
  };
  yield Buffer.concat([
    ...pkesks,
    packetHeader(SEIPD, 1 + plainLength),
    Buffer.from([1]),
    encrypt(Buffer.concat([prefix, literalHeader, Buffer.from([0x62, 0, 0, 0, 0, 0])])),
  ]);
  for (const part of parts) {
    for (let at = 0; at < part.length; at += SLICE) yield encrypt(part.subarray(at, at + SLICE));
  }
  // RFC 9580 §5.13.1: the MDC packet's hash covers its own two header octets.
  const hash = mdc.update(MDC_HEAD).digest();
  yield Buffer.concat([cipher.update(MDC_HEAD), cipher.update(hash), cipher.final()]);
}
