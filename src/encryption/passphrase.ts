import crypto from 'node:crypto';
import argon2 from 'argon2';
import { errors } from '../errors';

/**
 * How a passphrase protecting a private key copy is derived. Stored beside the key and given
 * to the webmail, which derives the same passphrase in the browser:
 * hex(argon2id(secret, salt, m, t, p, 32 bytes)).
 */
export interface KdfParams {
  algorithm: 'argon2id';
  /** base64 */
  salt: string;
  memoryKiB: number;
  iterations: number;
  parallelism: number;
  hashLength: number;
}

// Same cost as the login hash (OWASP's argon2id floor), paid once per unlock.
const DEFAULTS = { memoryKiB: 19456, iterations: 2, parallelism: 1, hashLength: 32 } as const;

export function newKdfParams(): KdfParams {
  return { algorithm: 'argon2id', salt: crypto.randomBytes(16).toString('base64'), ...DEFAULTS };
}

export async function derivePassphrase(secret: string, params: KdfParams): Promise<string> {
  const raw = await argon2.hash(secret, {
    type: argon2.argon2id,
    raw: true,
    salt: Buffer.from(params.salt, 'base64'),
    memoryCost: params.memoryKiB,
    timeCost: params.iterations,
    parallelism: params.parallelism,
    hashLength: params.hashLength,
  });
  return raw.toString('hex');
}

// Crockford's base32 alphabet: no I, L, O, U, so nothing reads as another character.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 32 symbols of 5 bits = 160 bits, shown as 8 groups of 4. */
export function newRecoveryCode(): string {
  const bytes = crypto.randomBytes(32);
  const symbols = Array.from(bytes, (b) => ALPHABET[b & 31]);
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(symbols.slice(i, i + 4).join(''));
  return groups.join('-');
}

/** Accepts the code as people retype it: any case, spaces or dashes, O for 0, I or L for 1. */
export function normalizeRecoveryCode(input: string): string {
  const code = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (code.length !== 32 || [...code].some((c) => !ALPHABET.includes(c))) {
    throw errors.badRequest('recovery_code_malformed', {
      fr: 'Code de secours mal formé : 32 caractères attendus (8 groupes de 4).',
      en: 'Malformed recovery code: 32 characters expected (8 groups of 4).',
    });
  }
  return code;
}
