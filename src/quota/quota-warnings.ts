import type { ServiceContext } from '../context';

/** Quota warnings sent: the one module that writes `quota_warnings`. */

/** The mailboxes among `ids` already told they are over the threshold. */
export async function warnedMailboxes(ctx: ServiceContext, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows: Array<{ mailbox_id: string }> = await ctx
    .db('quota_warnings')
    .whereIn('mailbox_id', ids)
    .select('mailbox_id');
  return new Set(rows.map((r) => r.mailbox_id));
}

export async function markQuotaWarned(
  ctx: ServiceContext,
  mailboxId: string,
  percent: number,
): Promise<void> {
  await ctx
    .db('quota_warnings')
    .insert({ mailbox_id: mailboxId, percent, warned_at: ctx.now() })
    .onConflict('mailbox_id')
    .merge();
}

/** Forgets the warnings of mailboxes back under the threshold, so a new rise warns again. */
export async function clearQuotaWarnings(ctx: ServiceContext, ids: string[]): Promise<void> {
  if (ids.length > 0) await ctx.db('quota_warnings').whereIn('mailbox_id', ids).delete();
}
