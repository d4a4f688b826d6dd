import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { deleteRelayRow } from '../relays';

export async function removeRelay(ctx: CommandContext, name: string): Promise<void> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const row = await deleteRelayRow(ctx, name);
  if (!row) throw errors.notFound({ relay: name });
  await recordAudit(ctx, {
    action: 'relay.delete',
    targetType: 'relay',
    targetId: row.id,
    details: { name: row.name, kind: row.kind, host: row.host },
  });
}
