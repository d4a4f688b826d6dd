import { refuseToken } from '../../auth/actor';
import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import type { CollectiveRow } from '../collectives';
import { deleteInvitation } from '../invitations';

/** An admin withdraws a pending invitation of the collective. */
export async function revokeInvitation(
  ctx: CommandContext,
  collective: CollectiveRow,
  id: string,
): Promise<void> {
  authorize(ctx.actor, 'manage', { type: 'collective', collectiveId: collective.id });
  refuseToken(ctx.actor);
  if (!(await deleteInvitation(ctx, id, collective.id))) throw errors.notFound();
  await recordAudit(ctx, {
    action: 'member.invite.revoke',
    targetType: 'invitation',
    targetId: id,
    collectiveId: collective.id,
  });
}
