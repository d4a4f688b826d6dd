import type { Actor } from '../auth/actor';
import { allowed, authorize, Action } from '../auth/authorize';
import { hashPassword, verifyPassword } from '../auth/password-hash';
import { assertPasswordPolicy } from '../auth/password-policy';
import { revokeSessionsOf } from '../auth/sessions';
import { diffFields, recordAudit } from '../audit/record-audit';
import type { AppContext } from '../context';
import type { Db } from '../db/knex';
import type { DomainRow } from '../domains/find-domain';
import { assertEncryptionModeAllowed } from '../encryption/mailbox-key-settings';
import { provisionMailboxKeys, resetMailboxKeys, rewrapMailboxKeys } from '../encryption/mailbox-keys';
import { errors } from '../errors';
import type { EmailAddress, LocalPart } from '../names/email-address';

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
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = [
  'm.id',
  'm.domain_id',
  'm.local_part',
  'm.address',
  'm.display_name',
  'm.quota_bytes',
  'm.status',
  'm.encryption_mode',
  'm.protected_subject',
  'm.wkd_enabled',
  'm.created_at',
  'm.updated_at',
];

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
    createdAt: m.created_at,
    updatedAt: m.updated_at,
  };
}

export const DEFAULT_QUOTA_BYTES = 1024 ** 3;

async function assertAddressFree(db: Db, domainId: string, localPart: string): Promise<void> {
  const alias = await db('aliases')
    .where({ domain_id: domainId, local_part: localPart, system: false })
    .first('id');
  if (alias) {
    throw errors.conflict('address_taken', {
      fr: 'Cette adresse est déjà un alias ; supprimez l’alias d’abord.',
      en: 'This address is already an alias; delete the alias first.',
    });
  }
}

export async function createMailbox(
  ctx: AppContext,
  db: Db,
  actor: Actor,
  domain: DomainRow,
  input: {
    localPart: LocalPart;
    password: string;
    displayName?: string;
    quotaBytes?: number;
    encryptionMode?: EncryptionMode;
  },
): Promise<{ mailbox: MailboxRow; recoveryCode: string | null }> {
  await db.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`domain:${domain.name}`]);
  await assertAddressFree(db, domain.id, input.localPart);
  assertPasswordPolicy(input.password, { login: input.localPart });
  assertEncryptionModeAllowed(ctx.config, input.encryptionMode ?? 'generated');
  // A mailbox may take a role address (postmaster@, abuse@): it replaces the automatic alias.
  await db('aliases').where({ domain_id: domain.id, local_part: input.localPart, system: true }).delete();
  const [row] = await db('mailboxes')
    .insert({
      domain_id: domain.id,
      local_part: input.localPart,
      display_name: input.displayName ?? null,
      password_hash: await hashPassword(input.password),
      quota_bytes: input.quotaBytes ?? DEFAULT_QUOTA_BYTES,
      encryption_mode: input.encryptionMode ?? 'generated',
    })
    .returning(COLUMNS.map((c) => c.slice(2)));
  // Generated mode: the key exists before the first message can arrive, wrapped by this password.
  const keys =
    row.encryption_mode === 'generated' ? await provisionMailboxKeys(db, row, input.password) : null;
  await recordAudit(db, actor, {
    action: 'mailbox.create',
    targetType: 'mailbox',
    targetId: row.id,
    collectiveId: domain.collective_id,
    details: {
      address: row.address,
      quotaBytes: Number(row.quota_bytes),
      encryptionMode: row.encryption_mode,
      fingerprint: keys?.fingerprint ?? null,
    },
  });
  return { mailbox: row, recoveryCode: keys?.recoveryCode ?? null };
}

/** A page of a domain's mailboxes, ordered by local part, with an opaque cursor. */
export async function listMailboxes(
  db: Db,
  domainId: string,
  opts: { limit: number; cursor?: string; prefix?: string },
): Promise<{ items: MailboxRow[]; nextCursor: string | null }> {
  const q = db('mailboxes as m')
    .where('m.domain_id', domainId)
    .orderBy('m.local_part')
    .limit(opts.limit + 1);
  if (opts.cursor) q.where('m.local_part', '>', decodeCursor(opts.cursor));
  if (opts.prefix) q.where('m.local_part', 'like', `${opts.prefix.replace(/[\\%_]/g, '\\$&')}%`);
  const rows: MailboxRow[] = await q.select(COLUMNS);
  const more = rows.length > opts.limit;
  const items = more ? rows.slice(0, opts.limit) : rows;
  return { items, nextCursor: more ? encodeCursor(items[items.length - 1].local_part) : null };
}

function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof v.after === 'string') return v.after;
  } catch {
    // fall through to the error below
  }
  throw errors.badRequest('invalid_cursor', {
    fr: 'Curseur de pagination invalide.',
    en: 'Invalid pagination cursor.',
  });
}

/** The mailbox at `address` as this actor sees it (owner, its collective, racines), authorized for `action`. */
export async function findMailboxForActor(
  db: Db,
  actor: Actor,
  address: EmailAddress,
  action: Action,
): Promise<MailboxRow & { collective_id: string; domain_name: string }> {
  const rows = await db('mailboxes as m')
    .join('domains as d', 'd.id', 'm.domain_id')
    .where('m.address', address.address)
    .select([...COLUMNS, 'd.collective_id', 'd.name as domain_name']);
  const row = rows.find((r) =>
    allowed(actor, 'read', { type: 'mailbox', collectiveId: r.collective_id, mailboxId: r.id }),
  );
  if (!row) throw errors.notFound();
  authorize(actor, action, { type: 'mailbox', collectiveId: row.collective_id, mailboxId: row.id });
  return row;
}

/** Encryption mode and protected subject change through the keys API (src/api/routes/mailbox-keys.ts). */
export interface MailboxChanges {
  displayName?: string | null;
  quotaBytes?: number;
  status?: 'active' | 'disabled';
}

/** Fields the mailbox owner may change on their own mailbox; the rest is for its collective's admins. */
const OWNER_FIELDS: ReadonlyArray<keyof MailboxChanges> = ['displayName'];

export async function updateMailbox(
  ctx: AppContext,
  db: Db,
  actor: Actor,
  mailbox: MailboxRow & { collective_id: string },
  changes: MailboxChanges,
): Promise<MailboxRow> {
  if (actor.type === 'mailbox') {
    const refused = Object.keys(changes).filter((k) => !OWNER_FIELDS.includes(k as keyof MailboxChanges));
    if (refused.length) {
      throw errors.forbidden(
        { fields: refused },
        { fr: 'Ces champs sont réservés aux administrateurs.', en: 'These fields are for admins only.' },
      );
    }
  }
  const update = {
    display_name: changes.displayName,
    quota_bytes: changes.quotaBytes,
    status: changes.status,
  };
  const defined = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
  const [row] = await db('mailboxes')
    .where({ id: mailbox.id })
    .update({ ...defined, updated_at: ctx.now() })
    .returning(COLUMNS.map((c) => c.slice(2)));
  if (changes.status === 'disabled') await revokeSessionsOf(db, { mailboxId: mailbox.id }, ctx.now());
  await recordAudit(db, actor, {
    action: 'mailbox.update',
    targetType: 'mailbox',
    targetId: mailbox.id,
    collectiveId: mailbox.collective_id,
    details: {
      address: mailbox.address,
      changes: diffFields(mailbox as unknown as Record<string, unknown>, defined),
    },
  });
  return row;
}

export async function deleteMailbox(
  ctx: AppContext,
  db: Db,
  actor: Actor,
  mailbox: MailboxRow & { collective_id: string },
): Promise<void> {
  await db('mailboxes').where({ id: mailbox.id }).delete();
  await recordAudit(db, actor, {
    action: 'mailbox.delete',
    targetType: 'mailbox',
    targetId: mailbox.id,
    collectiveId: mailbox.collective_id,
    details: { address: mailbox.address, at: ctx.now().toISOString() },
  });
}

/** Throws 401 unless `candidate` is the mailbox's password (locks the row for the caller's change). */
export async function assertMailboxPassword(db: Db, mailboxId: string, candidate: string): Promise<void> {
  const row = await db('mailboxes').where({ id: mailboxId }).forUpdate().first('password_hash');
  if (!row || !candidate || !(await verifyPassword(row.password_hash, candidate))) {
    throw errors.invalidCredentials(undefined, {
      fr: 'Le mot de passe de la boîte est incorrect.',
      en: 'The mailbox password is wrong.',
    });
  }
}

/**
 * The owner changes their password knowing the current one; an admin (or racine) resets it
 * without. Both close the mailbox's sessions. Key consequences are reported to the caller.
 */
export async function setMailboxPassword(
  ctx: AppContext,
  db: Db,
  actor: Actor,
  mailbox: MailboxRow & { collective_id: string },
  input: { currentPassword?: string; newPassword: string },
): Promise<{ kind: 'change' | 'reset'; recoveryCode: string | null }> {
  const owner = actor.type === 'mailbox' && actor.id === mailbox.id;
  if (owner) {
    await assertMailboxPassword(db, mailbox.id, input.currentPassword ?? '');
  } else {
    authorize(actor, 'manage', {
      type: 'mailbox',
      collectiveId: mailbox.collective_id,
      mailboxId: mailbox.id,
    });
  }
  assertPasswordPolicy(input.newPassword, { login: mailbox.local_part });
  // The owner's keys are re-wrapped (no mail re-encrypted); an admin cannot open them, so a
  // reset puts a new key in front for new mail and leaves the old ones to the recovery code.
  let recoveryCode: string | null = null;
  if (owner) await rewrapMailboxKeys(db, mailbox.id, input.currentPassword as string, input.newPassword);
  else if (mailbox.encryption_mode === 'generated') {
    recoveryCode = (await resetMailboxKeys(db, mailbox, input.newPassword)).recoveryCode;
  }
  await db('mailboxes')
    .where({ id: mailbox.id })
    .update({ password_hash: await hashPassword(input.newPassword), updated_at: ctx.now() });
  await revokeSessionsOf(db, { mailboxId: mailbox.id }, ctx.now(), owner ? actor.sessionId : undefined);
  const kind = owner ? 'change' : 'reset';
  await recordAudit(db, actor, {
    action: `mailbox.password.${kind}`,
    targetType: 'mailbox',
    targetId: mailbox.id,
    collectiveId: mailbox.collective_id,
    details: { address: mailbox.address },
  });
  return { kind, recoveryCode };
}
