import type { ServiceContext } from '../context';
import type { Actor, Role } from './actor';
import { hashToken, newSecretToken } from './tokens';

export type SessionSubject = { accountId: string } | { mailboxId: string };

export async function createSession(
  ctx: ServiceContext,
  subject: SessionSubject,
  hours: number,
): Promise<{ token: string; id: string; expiresAt: Date }> {
  const now = ctx.now();
  const { token, hash } = newSecretToken('');
  const expiresAt = new Date(now.getTime() + hours * 3600_000);
  const [row] = await ctx
    .db('sessions')
    .insert({
      token_hash: hash,
      account_id: 'accountId' in subject ? subject.accountId : null,
      mailbox_id: 'mailboxId' in subject ? subject.mailboxId : null,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
    })
    .returning('id');
  return { token, id: row.id, expiresAt };
}

export async function revokeSession(ctx: ServiceContext, sessionId: string): Promise<void> {
  await ctx.db('sessions').where({ id: sessionId }).whereNull('revoked_at').update({ revoked_at: ctx.now() });
}

/** Revokes every session of an account or mailbox (password change, reset, removal). */
export async function revokeSessionsOf(
  ctx: ServiceContext,
  subject: SessionSubject,
  exceptSessionId?: string,
): Promise<void> {
  const q = ctx.db('sessions').whereNull('revoked_at');
  if ('accountId' in subject) q.where({ account_id: subject.accountId });
  else q.where({ mailbox_id: subject.mailboxId });
  if (exceptSessionId) q.whereNot({ id: exceptSessionId });
  await q.update({ revoked_at: ctx.now() });
}

/** Revokes the web sessions of every mailbox of a collective (its suspension). */
export async function revokeCollectiveMailboxSessions(
  ctx: ServiceContext,
  collectiveId: string,
): Promise<void> {
  await ctx
    .db('sessions')
    .whereNull('revoked_at')
    .whereIn(
      'mailbox_id',
      ctx
        .db('mailboxes as m')
        .join('domains as d', 'd.id', 'm.domain_id')
        .where('d.collective_id', collectiveId)
        .select('m.id'),
    )
    .update({ revoked_at: ctx.now() });
}

export async function loadAccountActor(
  ctx: ServiceContext,
  accountId: string,
  sessionId?: string,
): Promise<Actor | undefined> {
  const account = await ctx
    .db('accounts')
    .where({ id: accountId })
    .first('id', 'email', 'is_racine', 'must_change_password');
  if (!account) return undefined;
  const all: Array<{ collective_id: string; role: Role; suspended: boolean }> = await ctx
    .db('memberships as ms')
    .join('collectives as c', 'c.id', 'ms.collective_id')
    .where('ms.account_id', accountId)
    .select('ms.collective_id', 'ms.role', ctx.db.raw('c.suspended_at IS NOT NULL AS suspended'));
  // A suspended collective's memberships count for nothing; someone who belongs to nothing
  // else cannot use the console at all (a racine always can).
  const memberships = all.filter((m) => !m.suspended);
  if (!account.is_racine && all.length > 0 && memberships.length === 0) return undefined;
  return {
    type: 'account',
    id: account.id,
    email: account.email,
    racine: account.is_racine,
    mustChangePassword: account.must_change_password,
    memberships: new Map(memberships.map((m) => [m.collective_id, m.role])),
    sessionId,
  };
}

export async function loadMailboxActor(
  ctx: ServiceContext,
  mailboxId: string,
  sessionId?: string,
): Promise<Actor | undefined> {
  const row = await ctx
    .db('mailboxes as m')
    .join('domains as d', 'd.id', 'm.domain_id')
    .where('m.id', mailboxId)
    .where('m.status', 'active')
    // A suspended domain ends its mailboxes' sessions, as it ends their logins.
    .whereNot('d.status', 'suspended')
    // So does a suspended collective.
    .join('collectives as c', 'c.id', 'd.collective_id')
    .whereNull('c.suspended_at')
    .first('m.id', 'm.address', 'd.collective_id', 'm.must_change_password');
  if (!row) return undefined;
  return {
    type: 'mailbox',
    id: row.id,
    address: row.address,
    collectiveId: row.collective_id,
    mustChangePassword: row.must_change_password,
    sessionId,
  };
}

/** The actor behind a session cookie, or undefined when unknown, expired or revoked. */
export async function resolveSession(ctx: ServiceContext, token: string): Promise<Actor | undefined> {
  const now = ctx.now();
  const session = await ctx
    .db('sessions')
    .where({ token_hash: hashToken(token) })
    .whereNull('revoked_at')
    .where('expires_at', '>', now)
    .first('id', 'account_id', 'mailbox_id', 'last_seen_at');
  if (!session) return undefined;
  // Touch at most once a minute: a read-heavy console must not write on every request.
  if (now.getTime() - new Date(session.last_seen_at).getTime() > 60_000) {
    await ctx.db('sessions').where({ id: session.id }).update({ last_seen_at: now });
  }
  return session.account_id
    ? loadAccountActor(ctx, session.account_id, session.id)
    : loadMailboxActor(ctx, session.mailbox_id, session.id);
}

/**
 * Retention: removes up to `limit` sessions that ended (expired or revoked) before `before`,
 * when they were last seen is traffic data. Returns how many.
 */
export async function deleteEndedSessions(ctx: ServiceContext, before: Date, limit: number): Promise<number> {
  const ids = ctx
    .db('sessions')
    .select('id')
    .where((q) => q.where('expires_at', '<', before).orWhere('revoked_at', '<', before))
    .limit(limit);
  return ctx.db('sessions').whereIn('id', ids).delete();
}
