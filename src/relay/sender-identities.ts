import type { ServiceContext } from '../context';

/**
 * Reads of `mta.sender_logins`, the rule Postfix applies to the envelope sender at submission
 * (smtpd_sender_login_maps): a mailbox may send as itself and as each alias delivering to it.
 */

/** The addresses among `addresses` that `login` may send as. */
export async function allowedSenders(
  ctx: ServiceContext,
  login: string,
  addresses: string[],
): Promise<Set<string>> {
  if (addresses.length === 0) return new Set();
  const rows: Array<{ sender: string }> = await ctx.db
    .from('mta.sender_logins')
    .where({ login: login.toLowerCase() })
    .whereIn('sender', addresses)
    .select('sender');
  return new Set(rows.map((r) => r.sender));
}

/** Whether whoever may send as `envelopeSender` may also send as `from` (one login owns both). */
export async function sameSenderOwner(
  ctx: ServiceContext,
  envelopeSender: string,
  from: string,
): Promise<boolean> {
  const row = await ctx.db
    .from('mta.sender_logins as e')
    .join('mta.sender_logins as f', 'f.login', 'e.login')
    .where('e.sender', envelopeSender.toLowerCase())
    .andWhere('f.sender', from)
    .first(ctx.db.raw('1 AS one'));
  return row !== undefined;
}
