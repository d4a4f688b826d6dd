import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * How many ids a mailbox's duplicate tracking file holds: the file Dovecot 2.3 keeps in the
 * mailbox's home for Sieve's `duplicate` test (`.dovecot.lda-dupes`, written by lib-storage's
 * mail-duplicate.c): a 32-bit version (2), then per id a header of three 32-bit numbers in the
 * host's order (expiry time, id length, user length), the id and the user name. Counted, not
 * read: the ids are digests. 0 when the file does not exist yet.
 */
export function trackedIdCount(home: string): number {
  let file: Buffer;
  try {
    file = fs.readFileSync(path.join(home, '.dovecot.lda-dupes'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  const u32 = (at: number) => (os.endianness() === 'LE' ? file.readUInt32LE(at) : file.readUInt32BE(at));
  if (file.length < 4 || u32(0) !== 2) throw new Error('unknown duplicate tracking file version');
  let count = 0;
  for (let at = 4; at < file.length; count++) {
    if (at + 12 > file.length) throw new Error('truncated duplicate tracking file');
    at += 12 + u32(at + 4) + u32(at + 8);
  }
  return count;
}
