import { refuseToken, type Role } from '../../auth/actor';
import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import type { CollectiveRow } from '../collectives';
import { getMember, lockAdmins, lockMembership, type MemberRow, setMembershipRole } from '../members';

/** Makes a member an admin, or an admin a member; never leaves a collective without an admin. */
export async function changeMemberRole(
  ctx: CommandContext,
  collective: CollectiveRow,
  accountId: string,
  role: Role,
): Promise<MemberRow> {
  authorize(ctx.actor, 'manage', { type: 'collective', collectiveId: collective.id });
  refuseToken(ctx.actor);
  const admins = await lockAdmins(ctx, collective.id);
  const membership = await lockMembership(ctx, collective.id, accountId);
  if (!membership) throw errors.notFound();
  if (membership.role !== role) {
    if (membership.role === 'admin' && admins.length <= 1) {
      throw errors.conflict('last_admin', {
        fr: 'Le collectif garde au moins un administrateur : nommez-en un autre avant.',
        en: 'A collective keeps at least one admin: make someone else admin first.',
      });
    }
    await setMembershipRole(ctx, { collectiveId: collective.id, accountId, role });
    await recordAudit(ctx, {
      action: 'member.role',
      targetType: 'account',
      targetId: accountId,
      collectiveId: collective.id,
      details: { from: membership.role, to: role },
    });
  }
  const member = await getMember(ctx, collective.id, accountId);
  if (!member) throw errors.notFound();
  return member;
}
