import type { Actor, Role } from '../auth/actor';
import { createAccount, findAccountByEmail } from '../accounts/accounts';
import { recordAudit } from '../audit/record-audit';
import type { Db } from '../db/knex';
import { errors } from '../errors';
import type { CollectiveRow } from './collectives';

export interface MemberRow {
  account_id: string;
  email: string;
  role: Role;
  created_at: Date;
}

export function presentMember(m: MemberRow) {
  return { accountId: m.account_id, email: m.email, role: m.role, since: m.created_at };
}

export async function listMembers(db: Db, collectiveId: string): Promise<MemberRow[]> {
  return db('memberships as m')
    .join('accounts as a', 'a.id', 'm.account_id')
    .where('m.collective_id', collectiveId)
    .orderBy('a.email')
    .select('m.account_id', 'a.email', 'm.role', 'm.created_at');
}

/**
 * Invites someone by e-mail: an existing account simply joins; a new one is created with a
 * one-time password, returned once (there is no e-mail invitation flow yet).
 */
export async function inviteMember(
  db: Db,
  actor: Actor,
  collective: CollectiveRow,
  input: { email: string; role: Role },
): Promise<{ member: MemberRow; oneTimePassword?: string }> {
  let account = await findAccountByEmail(db, input.email);
  let oneTimePassword: string | undefined;
  if (!account) {
    const created = await createAccount(db, actor, { email: input.email });
    account = created.account;
    oneTimePassword = created.oneTimePassword;
  }
  const [row] = await db('memberships')
    .insert({ account_id: account.id, collective_id: collective.id, role: input.role })
    .returning(['account_id', 'role', 'created_at']);
  await recordAudit(db, actor, {
    action: 'member.add',
    targetType: 'account',
    targetId: account.id,
    collectiveId: collective.id,
    details: { email: account.email, role: input.role },
  });
  return { member: { ...row, email: account.email }, oneTimePassword };
}

export async function removeMember(
  db: Db,
  actor: Actor,
  collective: CollectiveRow,
  accountId: string,
): Promise<void> {
  const membership = await db('memberships')
    .where({ collective_id: collective.id, account_id: accountId })
    .forUpdate()
    .first('role');
  if (!membership) throw errors.notFound();
  if (membership.role === 'admin') {
    const [{ n }] = await db('memberships')
      .where({ collective_id: collective.id, role: 'admin' })
      .count({ n: '*' });
    if (Number(n) <= 1) {
      throw errors.conflict('last_admin', {
        fr: 'On ne peut pas retirer le dernier administrateur du collectif.',
        en: 'The last admin of a collective cannot be removed.',
      });
    }
  }
  await db('memberships').where({ collective_id: collective.id, account_id: accountId }).delete();
  await recordAudit(db, actor, {
    action: 'member.remove',
    targetType: 'account',
    targetId: accountId,
    collectiveId: collective.id,
    details: { role: membership.role },
  });
}
