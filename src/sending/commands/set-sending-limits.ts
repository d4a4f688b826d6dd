import { authorize } from '../../auth/authorize';
import { diffFields, recordAudit } from '../../audit/record-audit';
import type { CollectiveRow } from '../../collectives/collectives';
import type { CommandContext } from '../../context';
import { collectiveOverrides, writeCollectiveOverrides, type LimitOverrides } from '../sending-limits';

/**
 * A racine sets (a number) or clears (null: back to the platform's default) some of a
 * collective's sending limits. Only racines: the limits protect the platform's relays and their
 * reputation, which every collective shares.
 */
export async function setSendingLimits(
  ctx: CommandContext,
  collective: CollectiveRow,
  patch: LimitOverrides,
): Promise<LimitOverrides> {
  authorize(ctx.actor, 'update', { type: 'platform' });
  const before = await collectiveOverrides(ctx, collective.id);
  const after = await writeCollectiveOverrides(ctx, collective.id, patch);
  await recordAudit(ctx, {
    action: 'sending.limits',
    targetType: 'collective',
    targetId: collective.id,
    collectiveId: collective.id,
    details: { slug: collective.slug, changes: diffFields(before, after) },
  });
  return after;
}
