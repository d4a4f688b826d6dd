import argon2 from 'argon2';

// OWASP's argon2id floor (m=19 MiB, t=2, p=1): ~18 ms here, paid at every IMAP login too.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * node-argon2 writes `m=…,p=…,t=…`; Dovecot 2.3's ARGON2ID scheme rejects that and accepts only
 * `m=…,t=…,p=…`, which node-argon2 verifies too. Store Dovecot's order.
 */
export function toDovecotOrder(phc: string): string {
  return phc.replace(/\$m=(\d+),p=(\d+),t=(\d+)\$/, '$m=$1,t=$3,p=$2$');
}

export async function hashPassword(password: string): Promise<string> {
  return toDovecotOrder(await argon2.hash(password, OPTIONS));
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash to verify against when the login is unknown, so timing does not tell it apart. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword('decoy password that matches nothing');
  return decoy;
}
