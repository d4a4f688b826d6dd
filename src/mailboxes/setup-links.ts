import { hashToken, newSecretToken } from '../auth/tokens';
import type { ServiceContext } from '../context';

/** One-time setup links: the one module that writes the `mailbox_setup_links` table. */
export interface SetupLinkRow {
  mailbox_id: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

/**
 * Three days: the owner usually gets the link the same day, and mail that arrives meanwhile
 * waits in Postfix's queue (the mailbox has no key yet), which keeps it for five days.
 */
export const SETUP_LINK_HOURS = 72;
export const SETUP_LINK_PREFIX = 'gfm_';

/** The path of the console's public page; the secret goes after `#`, never sent to a server. */
export const setupLinkPath = (token: string) => `/mailbox-setup#${token}`;

/**
 * A new link for the mailbox, replacing any previous one (which stops working). The clear secret
 * is returned once, for the admin to hand over, and only its SHA-256 is stored.
 */
export async function issueSetupLink(
  ctx: ServiceContext,
  mailboxId: string,
): Promise<{ token: string; expiresAt: Date }> {
  const { token, hash } = newSecretToken(SETUP_LINK_PREFIX);
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + SETUP_LINK_HOURS * 3600_000);
  await ctx
    .db('mailbox_setup_links')
    .insert({
      mailbox_id: mailboxId,
      token_hash: hash,
      created_at: now,
      expires_at: expiresAt,
      used_at: null,
    })
    .onConflict('mailbox_id')
    .merge();
  return { token, expiresAt };
}

/** The link whose secret this is (used or expired ones too, so the answer can say which), locked. */
export async function lockSetupLinkByToken(
  ctx: ServiceContext,
  token: string,
): Promise<SetupLinkRow | undefined> {
  if (!token.startsWith(SETUP_LINK_PREFIX)) return undefined;
  return ctx
    .db('mailbox_setup_links')
    .where({ token_hash: hashToken(token) })
    .forUpdate()
    .first('mailbox_id', 'created_at', 'expires_at', 'used_at');
}

/** The mailbox's link, if it ever had one. */
export async function findSetupLink(
  ctx: ServiceContext,
  mailboxId: string,
): Promise<SetupLinkRow | undefined> {
  return ctx
    .db('mailbox_setup_links')
    .where({ mailbox_id: mailboxId })
    .first('mailbox_id', 'created_at', 'expires_at', 'used_at');
}

export async function markSetupLinkUsed(ctx: ServiceContext, mailboxId: string): Promise<void> {
  await ctx.db('mailbox_setup_links').where({ mailbox_id: mailboxId }).update({ used_at: ctx.now() });
}

/** An admin set a password instead: the unused link must not let anyone choose another. */
export async function dropUnusedSetupLink(ctx: ServiceContext, mailboxId: string): Promise<boolean> {
  return (
    (await ctx.db('mailbox_setup_links').where({ mailbox_id: mailboxId }).whereNull('used_at').delete()) > 0
  );
}
