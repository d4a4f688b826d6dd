import type { ServiceContext } from '../context';

/** The webmail's per-mailbox settings blob: the one module that writes `webmail_preferences`. */

export interface PreferencesRow {
  blob: string;
  updated_at: Date;
}

export async function findPreferences(
  ctx: ServiceContext,
  mailboxId: string,
): Promise<PreferencesRow | undefined> {
  return ctx.db('webmail_preferences').where({ mailbox_id: mailboxId }).first('blob', 'updated_at');
}

export async function upsertPreferences(ctx: ServiceContext, mailboxId: string, blob: string): Promise<Date> {
  const updatedAt = ctx.now();
  await ctx
    .db('webmail_preferences')
    .insert({ mailbox_id: mailboxId, blob, updated_at: updatedAt })
    .onConflict('mailbox_id')
    .merge(['blob', 'updated_at']);
  return updatedAt;
}
