import { isRacine } from '../../auth/actor';
import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { domainMailboxAddresses } from '../../mailboxes/mailboxes';
import { deleteDomainRow } from '../domains';
import type { DomainRow } from '../find-domain';

/**
 * Refused while mailboxes exist, unless a racine forces it (mailboxes and aliases go with it).
 * Returns the addresses of the mailboxes deleted, whose open sessions are then to be ended.
 */
export async function deleteDomain(
  ctx: CommandContext,
  domain: DomainRow,
  force: boolean,
): Promise<string[]> {
  if (force && !isRacine(ctx.actor)) {
    throw errors.forbidden(undefined, {
      fr: 'Seule une racine peut forcer la suppression.',
      en: 'Only a racine may force a deletion.',
    });
  }
  authorize(ctx.actor, 'delete', { type: 'domain', collectiveId: domain.collective_id });
  const addresses = await domainMailboxAddresses(ctx, domain.id);
  const mailboxes = addresses.length;
  if (mailboxes > 0 && !force) {
    throw errors.conflict(
      'domain_has_mailboxes',
      {
        fr: `Le domaine a encore ${mailboxes} boîte(s) aux lettres ; supprimez-les d’abord (ou une racine peut forcer).`,
        en: `The domain still has ${mailboxes} mailbox(es); delete them first (or a racine may force it).`,
      },
      { mailboxes },
    );
  }
  await deleteDomainRow(ctx, domain.id);
  await recordAudit(ctx, {
    action: 'domain.delete',
    targetType: 'domain',
    targetId: domain.id,
    collectiveId: domain.collective_id,
    details: { name: domain.name, status: domain.status, forced: force, mailboxesDeleted: mailboxes },
  });
  return addresses;
}
