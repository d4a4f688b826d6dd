import type { Role } from '../../auth/actor';
import { authorize } from '../../auth/authorize';
import { accountCreated, findAccountByEmail, insertAccount } from '../../accounts/accounts';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import type { CollectiveRow } from '../collectives';
import { insertMembership, MemberRow } from '../members';

/**
 * Invites someone by e-mail: an existing account simply joins; a new one is created with a
 * one-time password, returned once (there is no e-mail invitation flow yet).
 */
export async function inviteMember(
  ctx: CommandContext,
  collective: CollectiveRow,
  input: { email: string; role: Role },
): Promise<{ member: MemberRow; oneTimePassword?: string }> {
  authorize(ctx.actor, 'manage', { type: 'collective', collectiveId: collective.id });
  let account = await findAccountByEmail(ctx, input.email);
  let oneTimePassword: string | undefined;
  if (!account) {
    const created = await insertAccount(ctx, { email: input.email, racine: false });
    await recordAudit(ctx, accountCreated(created.account));
    account = created.account;
    oneTimePassword = created.oneTimePassword;
  }
  const row = await insertMembership(ctx, {
    accountId: account.id,
    collectiveId: collective.id,
    role: input.role,
  });
  await recordAudit(ctx, {
    action: 'member.add',
    targetType: 'account',
    targetId: account.id,
    collectiveId: collective.id,
    details: { email: account.email, role: input.role },
  });
  return { member: { ...row, email: account.email }, oneTimePassword };
}
