import type { Actor } from '../auth/actor';
import { recordAudit } from '../audit/record-audit';
import type { AppContext } from '../context';
import type { Db } from '../db/knex';
import type { DomainRow } from '../domains/find-domain';
import { errors } from '../errors';
import { logger } from '../logger';
import { sendNotice } from '../notify/send-notice';
import { checkDomain } from './check-domain';
import type { CheckResult } from './checks/common';
import { ensureDomainDkimKey } from './dkim-keys';

export interface VerifyOutcome {
  name: string;
  status: DomainRow['status'];
  verified: boolean;
  check: CheckResult;
}

/** E-mail addresses of a collective's admins. */
export async function collectiveAdmins(db: Db, collectiveId: string): Promise<string[]> {
  const rows: Array<{ email: string }> = await db('memberships as m')
    .join('accounts as a', 'a.id', 'm.account_id')
    .where({ 'm.collective_id': collectiveId, 'm.role': 'admin' })
    .orderBy('a.email')
    .select('a.email');
  return rows.map((r) => r.email);
}

/**
 * Looks for the ownership proof at the domain's authoritative servers and, when found, makes the
 * claim the active domain (see activateDomain). The first to prove ownership wins.
 */
export async function verifyDomain(ctx: AppContext, actor: Actor, domain: DomainRow): Promise<VerifyOutcome> {
  const report = await checkDomain(ctx, domain, { only: ['verification'], propagation: false });
  const check = report.checks[0];
  if (domain.status !== 'pending') return { name: domain.name, status: domain.status, verified: true, check };
  if (check.status !== 'ok') return { name: domain.name, status: 'pending', verified: false, check };
  await activateDomain(ctx, actor, domain, 'dns-proof');
  return { name: domain.name, status: 'active', verified: true, check };
}

/**
 * Makes a pending claim the active domain: every other pending claim on the name is dropped,
 * each with an audit entry and a notice to its collective's admins. Called on DNS proof, or by
 * a racine on the host who vouches for the domain without it (`giroflee domain activate`).
 */
export async function activateDomain(
  ctx: AppContext,
  actor: Actor,
  domain: DomainRow,
  basis: 'dns-proof' | 'racine-override',
): Promise<void> {
  const dropped = await ctx.db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`domain:${domain.name}`]);
    const current: DomainRow | undefined = await trx('domains').where({ id: domain.id }).first();
    if (!current || current.status !== 'pending') throw errors.notFound();
    const holder = await trx('domains')
      .where({ name: domain.name })
      .whereNot({ status: 'pending' })
      .first('id');
    if (holder) {
      throw errors.conflict('domain_taken', {
        fr: 'Un autre collectif a prouvé avant vous qu’il détient ce domaine.',
        en: 'Another collective proved ownership of this domain first.',
      });
    }
    await trx('domains')
      .where({ id: domain.id })
      .update({ status: 'active', verified_at: ctx.now(), updated_at: ctx.now() });
    await recordAudit(trx, actor, {
      action: basis === 'dns-proof' ? 'domain.verify' : 'domain.activate',
      targetType: 'domain',
      targetId: domain.id,
      collectiveId: domain.collective_id,
      details: { name: domain.name, basis, status: { before: 'pending', after: 'active' } },
    });
    const others: DomainRow[] = await trx('domains')
      .where({ name: domain.name, status: 'pending' })
      .whereNot({ id: domain.id });
    for (const other of others) {
      await trx('domains').where({ id: other.id }).delete();
      await recordAudit(trx, actor, {
        action: 'domain.claim_dropped',
        targetType: 'domain',
        targetId: other.id,
        collectiveId: other.collective_id,
        details: { name: other.name, reason: 'another collective holds the domain now' },
      });
    }
    await ensureDomainDkimKey(trx, ctx, domain.id);
    return Promise.all(
      others.map(async (o) => ({ ...o, admins: await collectiveAdmins(trx, o.collective_id) })),
    );
  });

  for (const other of dropped) {
    await sendNotice(ctx, {
      to: other.admins,
      subject: {
        fr: `Domaine ${domain.name} : demande retirée`,
        en: `Domain ${domain.name}: claim dropped`,
      },
      text: {
        fr: `Un autre collectif a publié la preuve de propriété de ${domain.name} avant vous ; votre demande d’ajout de ce domaine a été retirée. Si ce domaine vous appartient, écrivez aux racines de la plateforme.`,
        en: `Another collective published the ownership proof for ${domain.name} before you; your request to add this domain was dropped. If the domain is yours, write to the platform's racines.`,
      },
    }).catch((err) => logger.warn({ err, domain: domain.name }, 'claim-dropped notice not sent'));
  }
}
