import { refuseToken } from '../../auth/actor';
import { markApiTokenRevoked } from '../../auth/api-tokens';
import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import type { CollectiveRow } from '../collectives';

/** Revokes one of the collective's live API tokens. */
export async function revokeApiToken(
  ctx: CommandContext,
  collective: CollectiveRow,
  id: string,
): Promise<void> {
  authorize(ctx.actor, 'manage', { type: 'collective', collectiveId: collective.id });
  refuseToken(ctx.actor);
  const row = await markApiTokenRevoked(ctx, collective.id, id);
  if (!row) throw errors.notFound();
  await recordAudit(ctx, {
    action: 'token.revoke',
    targetType: 'api_token',
    targetId: row.id,
    collectiveId: collective.id,
    details: { name: row.name },
  });
}
