import crypto from 'node:crypto';
import * as openpgp from 'openpgp';
import type { ServiceContext } from '../context';

// draft-koch-openpgp-webkey-service §3.1: z-base-32 of the SHA-1 of the lowercased local part.
const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

export function zBase32(data: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ZBASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ZBASE32[(value << (5 - bits)) & 31];
  return out;
}

export function wkdHash(localPart: string): string {
  return zBase32(crypto.createHash('sha1').update(localPart.toLowerCase(), 'utf8').digest());
}

/**
 * The binary public keys (draft §3.1: "the binary representation", no armor) published for the
 * mailbox whose hashed local part is `hash` at `domain`, or undefined when there is none.
 */
export async function findWkdKeys(
  ctx: ServiceContext,
  domain: string,
  hash: string,
): Promise<Buffer | undefined> {
  const rows: Array<{ local_part: string; public_key: string }> = await ctx
    .db('mailboxes as m')
    .join('domains as d', 'd.id', 'm.domain_id')
    .join('mailbox_keys as k', 'k.mailbox_id', 'm.id')
    .where({ 'd.name': domain, 'd.status': 'active', 'm.status': 'active', 'm.wkd_enabled': true })
    .where('k.state', 'active')
    .whereNot('m.encryption_mode', 'none')
    .orderBy('k.created_at')
    .select('m.local_part', 'k.public_key');
  const mine = rows.filter((r) => wkdHash(r.local_part) === hash);
  if (mine.length === 0) return undefined;
  const keys = await Promise.all(mine.map((r) => openpgp.readKey({ armoredKey: r.public_key })));
  return Buffer.concat(keys.map((k) => Buffer.from(k.write())));
}
