import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { deleteAliasRow, LoadedAlias, ROLE_LOCAL_PARTS } from '../aliases';

/** Deletes an alias; the role addresses (RFC 2142) must stay delivered. */
export async function deleteAlias(ctx: CommandContext, alias: LoadedAlias): Promise<void> {
  authorize(ctx.actor, 'delete', { type: 'alias', collectiveId: alias.collective_id });
  if ((ROLE_LOCAL_PARTS as readonly string[]).includes(alias.local_part)) {
    throw errors.conflict('role_address_required', {
      fr: `${alias.source} doit toujours être livrée (RFC 2142) : changez ses destinations, ou créez une boîte à ce nom.`,
      en: `${alias.source} must always be delivered (RFC 2142): change its destinations, or create a mailbox with that name.`,
    });
  }
  await deleteAliasRow(ctx, alias.id);
  await recordAudit(ctx, {
    action: 'alias.delete',
    targetType: 'alias',
    targetId: alias.id,
    collectiveId: alias.collective_id,
    details: { source: alias.source, destinations: alias.destinations },
  });
}
