import crypto from 'node:crypto';
import { Keyring } from './master-key';

/**
 * Versioned envelopes for secrets stored in the database:
 * `v1:<keyId>:<nonce>:<ciphertext+tag>` (base64url), AES-256-GCM, with the row's identity as
 * associated data, so an envelope copied onto another row (or column) fails to open.
 */
const VERSION = 'v1';

/** Identity of the place a secret is stored in, e.g. `accounts.totp_secret:<uuid>`. */
export function envelopeContext(table: string, column: string, rowId: string): string {
  return `${table}.${column}:${rowId}`;
}

export function wrapSecret(keyring: Keyring, plaintext: Buffer | string, context: string): string {
  const { id, key } = keyring.current;
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, id, nonce.toString('base64url'), body.toString('base64url')].join(':');
}

export class EnvelopeError extends Error {}

export function envelopeKeyId(envelope: string): string {
  const [version, keyId] = envelope.split(':');
  if (version !== VERSION || !keyId) throw new EnvelopeError('not a v1 envelope');
  return keyId;
}

export function unwrapSecret(keyring: Keyring, envelope: string, context: string): Buffer {
  const parts = envelope.split(':');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new EnvelopeError('not a v1 envelope');
  const master = keyring.find(parts[1]);
  if (!master) throw new EnvelopeError(`master key ${parts[1]} is not in the keyring`);
  const nonce = Buffer.from(parts[2], 'base64url');
  const body = Buffer.from(parts[3], 'base64url');
  if (nonce.length !== 12 || body.length < 16) throw new EnvelopeError('truncated envelope');
  const decipher = crypto.createDecipheriv('aes-256-gcm', master.key, nonce);
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - 16));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  } catch {
    throw new EnvelopeError('envelope does not open: wrong key or moved to another row');
  }
}
