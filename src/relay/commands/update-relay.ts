import { authorize } from '../../auth/authorize';
import { diffFields, recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import type { UpdateRelayInput } from '../relay-input';
import { lockRelay, RelayRow, updateRelayRow } from '../relays';

/**
 * Changes how mail is routed through a relay (priority, role, state, sending IPs), audited with
 * the before/after of what changed; `action` names the change when it has a name of its own.
 */
export async function updateRelay(
  ctx: CommandContext,
  name: string,
  patch: UpdateRelayInput,
  action = 'relay.update',
): Promise<RelayRow> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const before = await lockRelay(ctx, name);
  const after = await updateRelayRow(ctx, before.id, {
    ...(patch.priority !== undefined ? { priority: patch.priority } : {}),
    ...(patch.role !== undefined ? { role: patch.role } : {}),
    ...(patch.state !== undefined ? { state: patch.state } : {}),
    ...(patch.sendingIps !== undefined ? { sending_ips: patch.sendingIps } : {}),
  });
  await recordAudit(ctx, {
    action,
    targetType: 'relay',
    targetId: before.id,
    details: {
      name,
      ...diffFields(
        before as unknown as Record<string, unknown>,
        after as unknown as Record<string, unknown>,
        ['password', 'updated_at'],
      ),
    },
  });
  return after;
}
