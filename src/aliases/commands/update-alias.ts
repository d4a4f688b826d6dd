import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import {
  AliasRow,
  assertDestinationsExist,
  assertNoLoop,
  LoadedAlias,
  setAliasDestinations,
} from '../aliases';

/** Replaces the destinations of an alias. */
export async function updateAlias(
  ctx: CommandContext,
  alias: LoadedAlias,
  input: { destinations: string[] },
): Promise<AliasRow> {
  authorize(ctx.actor, 'update', { type: 'alias', collectiveId: alias.collective_id });
  await assertNoLoop(ctx, alias.source, input.destinations);
  await assertDestinationsExist(ctx, input.destinations);
  const row = await setAliasDestinations(ctx, alias.id, input.destinations);
  await recordAudit(ctx, {
    action: 'alias.update',
    targetType: 'alias',
    targetId: alias.id,
    collectiveId: alias.collective_id,
    details: { source: alias.source, destinations: { before: alias.destinations, after: row.destinations } },
  });
  return row;
}
