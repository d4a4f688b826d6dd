import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { CollectiveRow, insertCollective } from '../collectives';

/** Racines only: a new collective. */
export async function createCollective(
  ctx: CommandContext,
  input: { slug: string; name: string },
): Promise<CollectiveRow> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const row = await insertCollective(ctx, input);
  await recordAudit(ctx, {
    action: 'collective.create',
    targetType: 'collective',
    targetId: row.id,
    collectiveId: row.id,
    details: { slug: row.slug, name: row.name },
  });
  return row;
}
