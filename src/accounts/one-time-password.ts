import crypto from 'node:crypto';

// No 0/O, 1/l/I: read aloud or copied by hand without mistakes.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A random password given once (invitations, racine creation, resets), ~100 bits. */
export function oneTimePassword(groups = 4, size = 5): string {
  const out: string[] = [];
  for (let g = 0; g < groups; g++) {
    let s = '';
    for (let i = 0; i < size; i++) s += ALPHABET[crypto.randomInt(ALPHABET.length)];
    out.push(s);
  }
  return out.join('-');
}
