import { allowed, authorize, Action, Subject } from '../auth/authorize';
import { hashPassword, verifyPassword } from '../auth/password-hash';
import type { AuditEntry } from '../audit/record-audit';
import type { Config } from '../config';
import type { CommandContext, ServiceContext } from '../context';
import { decodeCursor, encodeCursor, likeLiteral } from '../db/page-cursor';
import { errors } from '../errors';
import type { EmailAddress, LocalPart } from '../names/email-address';

/** Mailboxes: the one module that writes the `mailboxes` table. */
export type EncryptionMode = 'generated' | 'public-key' | 'none';

export interface MailboxRow {
  id: string;
  domain_id: string;
  local_part: string;
  address: string;
  display_name: string | null;
  quota_bytes: string | number;
  status: 'active' | 'disabled';
  encryption_mode: EncryptionMode;
  protected_subject: boolean;
  wkd_enabled: boolean;
  must_change_password: boolean;
  created_at: Date;
  updated_at: Date;
  /** When the mailbox still waits for its owner to choose a password: its link's expiry. */
  setup_link_expires_at?: Date | null;
}

/** A mailbox as findMailboxForActor loads it: with what authorization needs. */
export type LoadedMailbox = MailboxRow & { collective_id: string; domain_name: string };

const COLUMNS = [
  'id',
  'domain_id',
  'local_part',
  'address',
  'display_name',
  'quota_bytes',
  'status',
  'encryption_mode',
  'protected_subject',
  'wkd_enabled',
  'must_change_password',
  'created_at',
  'updated_at',
];
const M_COLUMNS = COLUMNS.map((c) => `m.${c}`);

/** Reads of mailboxes `m` say whether the owner's one-time link is still unused (SELECT list item). */
const withSetupLink = (ctx: ServiceContext) =>
  ctx.db.raw(
    `(SELECT l.expires_at FROM mailbox_setup_links l WHERE l.mailbox_id = m.id AND l.used_at IS NULL) AS setup_link_expires_at`,
  );

/** Never the password hash. */
export function presentMailbox(m: MailboxRow) {
  return {
    id: m.id,
    address: m.address,
    localPart: m.local_part,
    displayName: m.display_name,
    quotaBytes: Number(m.quota_bytes),
    status: m.status,
    encryptionMode: m.encryption_mode,
    protectedSubject: m.protected_subject,
    mustChangePassword: m.must_change_password,
    // Created without a password: the owner chooses it through a one-time link (never shown here).
    awaitingOwner: Boolean(m.setup_link_expires_at),
    setupLinkExpiresAt: m.setup_link_expires_at ?? null,
    createdAt: m.created_at,
    updatedAt: m.updated_at,
  };
}

export const DEFAULT_QUOTA_BYTES = 1024 ** 3;

/** The subject authorize() needs for a loaded mailbox. */
export const mailboxSubject = (m: LoadedMailbox): Subject => ({
  type: 'mailbox',
  collectiveId: m.collective_id,
  mailboxId: m.id,
  address: m.address,
});

/** An audit entry about a mailbox: its address first, then what changed. */
export const mailboxAudit = (
  m: Pick<LoadedMailbox, 'id' | 'address' | 'collective_id'>,
  action: string,
  details: Record<string, unknown> = {},
): AuditEntry => ({
  action,
  targetType: 'mailbox',
  targetId: m.id,
  collectiveId: m.collective_id,
  details: { address: m.address, ...details },
});

/** The racine policy on mode `none` (GIROFLEE_ALLOW_UNENCRYPTED_MAILBOXES). */
export function assertEncryptionModeAllowed(config: Config, mode: EncryptionMode): void {
  if (mode === 'none' && !config.encryption.allowUnencrypted) {
    throw errors.forbidden(undefined, {
      fr: 'La politique de la plateforme impose le chiffrement du courrier stocké.',
      en: 'The platform policy requires stored mail to be encrypted.',
    });
  }
}

export async function insertMailbox(
  ctx: ServiceContext,
  input: {
    domainId: string;
    localPart: LocalPart;
    password: string;
    /** An admin's password (or none yet): IMAP and SMTP refuse it until the owner chooses one. */
    mustChangePassword?: boolean;
    displayName?: string;
    quotaBytes?: number;
    encryptionMode?: EncryptionMode;
  },
): Promise<MailboxRow> {
  const [row] = await ctx
    .db('mailboxes')
    .insert({
      domain_id: input.domainId,
      local_part: input.localPart,
      display_name: input.displayName ?? null,
      password_hash: await hashPassword(input.password),
      quota_bytes: input.quotaBytes ?? DEFAULT_QUOTA_BYTES,
      encryption_mode: input.encryptionMode ?? 'generated',
      must_change_password: input.mustChangePassword ?? false,
    })
    .returning(COLUMNS);
  return row;
}

export async function mailboxExists(
  ctx: ServiceContext,
  domainId: string,
  localPart: string,
): Promise<boolean> {
  return Boolean(await ctx.db('mailboxes').where({ domain_id: domainId, local_part: localPart }).first('id'));
}

/** The addresses of every mailbox of a domain, whatever their state. */
export async function domainMailboxAddresses(ctx: ServiceContext, domainId: string): Promise<string[]> {
  return ctx.db('mailboxes').where({ domain_id: domainId }).pluck('address');
}

/** A page of a domain's mailboxes, ordered by local part, with an opaque cursor. */
export async function listMailboxes(
  ctx: ServiceContext,
  domainId: string,
  opts: { limit: number; cursor?: string; prefix?: string },
): Promise<{ items: MailboxRow[]; nextCursor: string | null }> {
  const q = ctx
    .db('mailboxes as m')
    .where('m.domain_id', domainId)
    .orderBy('m.local_part')
    .limit(opts.limit + 1);
  if (opts.cursor) q.where('m.local_part', '>', decodeCursor(opts.cursor));
  if (opts.prefix) q.where('m.local_part', 'like', `${likeLiteral(opts.prefix)}%`);
  const rows: MailboxRow[] = await q.select([...M_COLUMNS, withSetupLink(ctx)]);
  const more = rows.length > opts.limit;
  const items = more ? rows.slice(0, opts.limit) : rows;
  return { items, nextCursor: more ? encodeCursor(items[items.length - 1].local_part) : null };
}

/** The mailbox at `address` as this actor sees it (owner, its collective, racines), authorized for `action`. */
export async function findMailboxForActor(
  ctx: CommandContext,
  address: EmailAddress,
  action: Action,
): Promise<LoadedMailbox> {
  const rows: LoadedMailbox[] = await ctx
    .db('mailboxes as m')
    .join('domains as d', 'd.id', 'm.domain_id')
    .where('m.address', address.address)
    .select([...M_COLUMNS, 'd.collective_id', 'd.name as domain_name', withSetupLink(ctx)]);
  const row = rows.find((r) => allowed(ctx.actor, 'read', mailboxSubject(r)));
  if (!row) throw errors.notFound();
  authorize(ctx.actor, action, mailboxSubject(row));
  return row;
}

/**
 * The mailbox at `address` for someone presenting its recovery code, or undefined: the caller
 * answers exactly as for a wrong code, so a stranger learns nothing from a missing mailbox.
 */
export async function findMailboxForRecovery(
  ctx: ServiceContext,
  address: EmailAddress,
): Promise<LoadedMailbox | undefined> {
  return ctx
    .db('mailboxes as m')
    .join('domains as d', 'd.id', 'm.domain_id')
    .where('m.address', address.address)
    .first([...M_COLUMNS, 'd.collective_id', 'd.name as domain_name']);
}

/** The mailbox `id`, for a command authorized by something other than an actor (a one-time link). */
export async function findMailboxById(ctx: ServiceContext, id: string): Promise<LoadedMailbox | undefined> {
  return ctx
    .db('mailboxes as m')
    .join('domains as d', 'd.id', 'm.domain_id')
    .where('m.id', id)
    .first([...M_COLUMNS, 'd.collective_id', 'd.name as domain_name']);
}

/** Throws 401 unless `candidate` is the mailbox's password (locks the row for the caller's change). */
export async function assertMailboxPassword(
  ctx: ServiceContext,
  mailboxId: string,
  candidate: string,
): Promise<void> {
  const row = await ctx.db('mailboxes').where({ id: mailboxId }).forUpdate().first('password_hash');
  if (!row || !candidate || !(await verifyPassword(row.password_hash, candidate))) {
    throw errors.invalidCredentials(undefined, {
      fr: 'Le mot de passe de la boîte est incorrect.',
      en: 'The mailbox password is wrong.',
    });
  }
}

/** The columns people change directly (the rest changes through the commands that own it). */
export interface MailboxFields {
  display_name?: string | null;
  quota_bytes?: number;
  status?: 'active' | 'disabled';
  encryption_mode?: EncryptionMode;
  protected_subject?: boolean;
  wkd_enabled?: boolean;
}

export async function updateMailboxRow(
  ctx: ServiceContext,
  id: string,
  fields: MailboxFields,
): Promise<MailboxRow> {
  const [row] = await ctx
    .db('mailboxes')
    .where({ id })
    .update({ ...fields, updated_at: ctx.now() })
    .returning(COLUMNS);
  return row;
}

/**
 * Stores the Dovecot-compatible hash of a new password (the keys are the caller's business).
 * `mustChange`: an admin set it, and the owner must choose another before anything else;
 * meanwhile mta.mailboxes refuses it to IMAP and SMTP.
 */
export async function setMailboxPasswordHash(
  ctx: ServiceContext,
  id: string,
  password: string,
  mustChange = false,
): Promise<void> {
  await ctx
    .db('mailboxes')
    .where({ id })
    .update({
      password_hash: await hashPassword(password),
      must_change_password: mustChange,
      updated_at: ctx.now(),
    });
}

export async function deleteMailboxRow(ctx: ServiceContext, id: string): Promise<void> {
  await ctx.db('mailboxes').where({ id }).delete();
}

/** The addresses of every mailbox of a collective (all its domains), whatever their state. */
export async function collectiveMailboxAddresses(
  ctx: ServiceContext,
  collectiveId: string,
): Promise<string[]> {
  const rows: Array<{ address: string }> = await ctx
    .db('mailboxes as m')
    .join('domains as d', 'd.id', 'm.domain_id')
    .where('d.collective_id', collectiveId)
    .select('m.address');
  return rows.map((r) => r.address);
}
