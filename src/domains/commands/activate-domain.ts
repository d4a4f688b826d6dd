import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import { adminEmails } from '../../collectives/members';
import type { CommandContext } from '../../context';
import { afterCommit } from '../../db/transaction';
import { ensureDomainDkimKey } from '../../dns/dkim-keys';
import { errors } from '../../errors';
import { logger } from '../../logger';
import { sendNotice } from '../../notify/send-notice';
import {
  deleteDomainRow,
  getDomain,
  isNameHeld,
  lockDomainName,
  markDomainActive,
  pendingClaims,
} from '../domains';
import type { DomainRow } from '../find-domain';

/**
 * Makes a pending claim the active domain: every other pending claim on the name is dropped,
 * each with an audit entry and, once committed, a notice to its collective's admins. On DNS
 * proof (verifyDomain), or on the word of a racine who vouches for the domain without it
 * (`giroflee domain activate`).
 */
export async function activateDomain(
  ctx: CommandContext,
  domain: DomainRow,
  basis: 'dns-proof' | 'racine-override',
): Promise<void> {
  authorize(
    ctx.actor,
    basis === 'racine-override' ? 'manage' : 'update',
    basis === 'racine-override'
      ? { type: 'platform' }
      : { type: 'domain', collectiveId: domain.collective_id },
  );
  await lockDomainName(ctx, domain.name);
  const current = await getDomain(ctx, domain.id);
  if (!current || current.status !== 'pending') throw errors.notFound();
  if (await isNameHeld(ctx, domain.name)) {
    throw errors.conflict('domain_taken', {
      fr: 'Un autre collectif a prouvé avant vous qu’il détient ce domaine.',
      en: 'Another collective proved ownership of this domain first.',
    });
  }
  await markDomainActive(ctx, domain.id);
  await recordAudit(ctx, {
    action: basis === 'dns-proof' ? 'domain.verify' : 'domain.activate',
    targetType: 'domain',
    targetId: domain.id,
    collectiveId: domain.collective_id,
    details: { name: domain.name, basis, status: { before: 'pending', after: 'active' } },
  });
  for (const other of await pendingClaims(ctx, domain.name, { exceptId: domain.id })) {
    await deleteDomainRow(ctx, other.id);
    await recordAudit(ctx, {
      action: 'domain.claim_dropped',
      targetType: 'domain',
      targetId: other.id,
      collectiveId: other.collective_id,
      details: { name: other.name, reason: 'another collective holds the domain now' },
    });
    const admins = await adminEmails(ctx, other.collective_id);
    await afterCommit(ctx.db, () =>
      sendNotice(ctx, {
        to: admins,
        subject: {
          fr: `Domaine ${domain.name} : demande retirée`,
          en: `Domain ${domain.name}: claim dropped`,
        },
        text: {
          fr: `Un autre collectif a publié la preuve de propriété de ${domain.name} avant vous ; votre demande d’ajout de ce domaine a été retirée. Si ce domaine vous appartient, écrivez aux racines de la plateforme.`,
          en: `Another collective published the ownership proof for ${domain.name} before you; your request to add this domain was dropped. If the domain is yours, write to the platform's racines.`,
        },
      }).catch((err) => logger.warn({ err, domain: domain.name }, 'claim-dropped notice not sent')),
    );
  }
  await ensureDomainDkimKey(ctx, domain.id);
}
