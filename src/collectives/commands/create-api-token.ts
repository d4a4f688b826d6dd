import { refuseToken } from '../../auth/actor';
import { ApiTokenRow, insertApiToken } from '../../auth/api-tokens';
import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import type { CollectiveRow } from '../collectives';

/** An API token acting as an admin of the collective; the clear token is returned once. */
export async function createApiToken(
  ctx: CommandContext,
  collective: CollectiveRow,
  input: { name: string },
): Promise<{ row: ApiTokenRow; token: string }> {
  const { actor } = ctx;
  authorize(actor, 'manage', { type: 'collective', collectiveId: collective.id });
  refuseToken(actor);
  const created = await insertApiToken(ctx, {
    collectiveId: collective.id,
    name: input.name,
    createdBy: actor.type === 'account' ? actor.id : null,
  });
  await recordAudit(ctx, {
    action: 'token.create',
    targetType: 'api_token',
    targetId: created.row.id,
    collectiveId: collective.id,
    details: { name: created.row.name },
  });
  return created;
}
