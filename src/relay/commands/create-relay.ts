import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import type { CreateRelayInput } from '../relay-input';
import { insertRelay, RelayRow } from '../relays';

/** Adds a relay (smarthost or direct), primary or fallback; its password is stored wrapped. */
export async function createRelay(ctx: CommandContext, input: CreateRelayInput): Promise<RelayRow> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const row = await insertRelay(ctx, input);
  await recordAudit(ctx, {
    action: 'relay.create',
    targetType: 'relay',
    targetId: row.id,
    details: {
      name: row.name,
      kind: row.kind,
      host: row.host,
      port: row.port,
      tlsMode: row.tls_mode,
      username: row.username,
      role: row.role,
      priority: row.priority,
    },
  });
  return row;
}
