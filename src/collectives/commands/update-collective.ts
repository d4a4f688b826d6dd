import { authorize } from '../../auth/authorize';
import { diffFields, recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { CollectiveRow, updateCollectiveRow } from '../collectives';

/** Renames a collective (its admins, or a racine). */
export async function updateCollective(
  ctx: CommandContext,
  collective: CollectiveRow,
  input: { name?: string },
): Promise<CollectiveRow> {
  authorize(ctx.actor, 'update', { type: 'collective', collectiveId: collective.id });
  const row = await updateCollectiveRow(ctx, collective.id, input);
  await recordAudit(ctx, {
    action: 'collective.update',
    targetType: 'collective',
    targetId: row.id,
    collectiveId: row.id,
    details: diffFields(collective as unknown as Record<string, unknown>, input),
  });
  return row;
}
