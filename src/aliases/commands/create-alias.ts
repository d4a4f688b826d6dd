import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { lockDomainName } from '../../domains/domains';
import type { DomainRow } from '../../domains/find-domain';
import { errors } from '../../errors';
import { mailboxExists } from '../../mailboxes/mailboxes';
import { aliasAddress, AliasRow, assertDestinationsExist, assertNoLoop, insertAlias } from '../aliases';

/** An alias (localPart `*` is the catch-all) forwarding to internal or external addresses. */
export async function createAlias(
  ctx: CommandContext,
  domain: DomainRow,
  input: { localPart: string; destinations: string[] },
): Promise<AliasRow> {
  authorize(ctx.actor, 'manage', { type: 'domain', collectiveId: domain.collective_id });
  await lockDomainName(ctx, domain.name);
  const source = aliasAddress(input.localPart, domain.name);
  if (input.localPart !== '*' && (await mailboxExists(ctx, domain.id, input.localPart))) {
    throw errors.conflict('address_taken', {
      fr: 'Une boîte aux lettres porte déjà cette adresse.',
      en: 'A mailbox already has this address.',
    });
  }
  await assertNoLoop(ctx, source, input.destinations);
  await assertDestinationsExist(ctx, input.destinations);
  const row = await insertAlias(ctx, { domainId: domain.id, ...input });
  await recordAudit(ctx, {
    action: 'alias.create',
    targetType: 'alias',
    targetId: row.id,
    collectiveId: domain.collective_id,
    details: { source: row.source, destinations: row.destinations },
  });
  return row;
}
