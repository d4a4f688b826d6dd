import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { CollectiveRow, deleteCollectiveRow } from '../collectives';

/** Racines only; refused while the collective has domains (409 collective_has_domains). */
export async function deleteCollective(ctx: CommandContext, collective: CollectiveRow): Promise<void> {
  authorize(ctx.actor, 'delete', { type: 'collective', collectiveId: collective.id });
  await deleteCollectiveRow(ctx, collective.id);
  await recordAudit(ctx, {
    action: 'collective.delete',
    targetType: 'collective',
    targetId: collective.id,
    collectiveId: collective.id,
    details: { slug: collective.slug },
  });
}
