import type { Role } from '../auth/actor';
import type { ServiceContext } from '../context';

/** Memberships: the one module that writes the `memberships` table. */
export interface MemberRow {
  account_id: string;
  email: string;
  role: Role;
  created_at: Date;
}

export function presentMember(m: MemberRow) {
  return { accountId: m.account_id, email: m.email, role: m.role, since: m.created_at };
}

export async function listMembers(ctx: ServiceContext, collectiveId: string): Promise<MemberRow[]> {
  return ctx
    .db('memberships as m')
    .join('accounts as a', 'a.id', 'm.account_id')
    .where('m.collective_id', collectiveId)
    .orderBy('a.email')
    .select('m.account_id', 'a.email', 'm.role', 'm.created_at');
}

/** E-mail addresses of a collective's admins, in order (role aliases, notices). */
export async function adminEmails(ctx: ServiceContext, collectiveId: string): Promise<string[]> {
  return ctx
    .db('memberships as m')
    .join('accounts as a', 'a.id', 'm.account_id')
    .where({ 'm.collective_id': collectiveId, 'm.role': 'admin' })
    .orderBy('a.email')
    .pluck('a.email');
}

/** The collectives an account belongs to, by slug, with its role in each. */
export async function membershipsOf(
  ctx: ServiceContext,
  accountId: string,
): Promise<Array<{ slug: string; name: string; role: Role }>> {
  return ctx
    .db('memberships as m')
    .join('collectives as c', 'c.id', 'm.collective_id')
    .where('m.account_id', accountId)
    .orderBy('c.slug')
    .select('c.slug', 'c.name', 'm.role');
}

/** Whether the account with this e-mail belongs to the collective. */
export async function isMemberByEmail(
  ctx: ServiceContext,
  collectiveId: string,
  email: string,
): Promise<boolean> {
  return Boolean(
    await ctx
      .db('memberships as m')
      .join('accounts as a', 'a.id', 'm.account_id')
      .where({ 'm.collective_id': collectiveId, 'a.email': email })
      .first('m.account_id'),
  );
}

export async function insertMembership(
  ctx: ServiceContext,
  input: { accountId: string; collectiveId: string; role: Role },
): Promise<{ account_id: string; role: Role; created_at: Date }> {
  const [row] = await ctx
    .db('memberships')
    .insert({ account_id: input.accountId, collective_id: input.collectiveId, role: input.role })
    .returning(['account_id', 'role', 'created_at']);
  return row;
}

/** The member's role, the row locked for the caller's change; undefined when not a member. */
export async function lockMembership(
  ctx: ServiceContext,
  collectiveId: string,
  accountId: string,
): Promise<{ role: Role } | undefined> {
  return ctx
    .db('memberships')
    .where({ collective_id: collectiveId, account_id: accountId })
    .forUpdate()
    .first('role');
}

/** One member with their e-mail; undefined when not a member. */
export async function getMember(
  ctx: ServiceContext,
  collectiveId: string,
  accountId: string,
): Promise<MemberRow | undefined> {
  return ctx
    .db('memberships as m')
    .join('accounts as a', 'a.id', 'm.account_id')
    .where({ 'm.collective_id': collectiveId, 'm.account_id': accountId })
    .first('m.account_id', 'a.email', 'm.role', 'm.created_at');
}

/**
 * The collective's admins, their rows locked for the caller's change: two admins demoting each
 * other at once are served one after the other, so the second sees she would be the last.
 */
export async function lockAdmins(ctx: ServiceContext, collectiveId: string): Promise<string[]> {
  return ctx
    .db('memberships')
    .where({ collective_id: collectiveId, role: 'admin' })
    .orderBy('account_id')
    .forUpdate()
    .pluck('account_id');
}

export async function setMembershipRole(
  ctx: ServiceContext,
  input: { collectiveId: string; accountId: string; role: Role },
): Promise<void> {
  await ctx
    .db('memberships')
    .where({ collective_id: input.collectiveId, account_id: input.accountId })
    .update({ role: input.role });
}

export async function countAdmins(ctx: ServiceContext, collectiveId: string): Promise<number> {
  const [{ n }] = await ctx
    .db('memberships')
    .where({ collective_id: collectiveId, role: 'admin' })
    .count({ n: '*' });
  return Number(n);
}

export async function deleteMembership(
  ctx: ServiceContext,
  collectiveId: string,
  accountId: string,
): Promise<void> {
  await ctx.db('memberships').where({ collective_id: collectiveId, account_id: accountId }).delete();
}
