import crypto from 'node:crypto';

/** High-entropy bearer secrets (sessions, API tokens): stored as SHA-256, compared by hash. */
export function newSecretToken(prefix: string): { token: string; hash: string } {
  const token = `${prefix}${crypto.randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}
