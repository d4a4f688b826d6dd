import { refuseToken } from '../../auth/actor';
import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import type { CollectiveRow } from '../collectives';
import { countAdmins, deleteMembership, lockMembership } from '../members';

/** Removes a member; never the collective's last admin. */
export async function removeMember(
  ctx: CommandContext,
  collective: CollectiveRow,
  accountId: string,
): Promise<void> {
  authorize(ctx.actor, 'manage', { type: 'collective', collectiveId: collective.id });
  refuseToken(ctx.actor);
  const membership = await lockMembership(ctx, collective.id, accountId);
  if (!membership) throw errors.notFound();
  if (membership.role === 'admin' && (await countAdmins(ctx, collective.id)) <= 1) {
    throw errors.conflict('last_admin', {
      fr: 'On ne peut pas retirer le dernier administrateur du collectif.',
      en: 'The last admin of a collective cannot be removed.',
    });
  }
  await deleteMembership(ctx, collective.id, accountId);
  await recordAudit(ctx, {
    action: 'member.remove',
    targetType: 'account',
    targetId: accountId,
    collectiveId: collective.id,
    details: { role: membership.role },
  });
}
