import type { Actor } from '../auth/actor';
import { adminEmails } from '../collectives/members';
import { runPeriodically, type Component } from '../component';
import { webLink } from '../config';
import type { AppContext } from '../context';
import { runInTransaction, tryAdvisoryLock } from '../db/transaction';
import { countDomains, domainsDueForCheck, storeDomainCheck } from '../domains/domains';
import type { DomainRow } from '../domains/find-domain';
import { isAppError } from '../errors';
import { logger } from '../logger';
import { sendNotice } from '../notify/send-notice';
import { checkOwnershipProof, DomainCheckReport, runDomainCheck } from './check-domain';
import { verifyDomain } from './commands/verify-domain';
import { advanceDkimRotation } from './dkim-rotation';
import { getDnsState, markNoticeSent, saveDnsState } from './dns-state';

const jobActor: Actor = { type: 'system', label: 'dns-jobs' };

/** Runs `fn` over `items`, at most `concurrency` at a time. */
export async function eachLimited<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** The e-mail telling admins what broke and what to publish. */
function brokenNotice(report: DomainCheckReport, link: string) {
  const broken = report.checks.filter((c) => c.status === 'error');
  const lines = (lang: 'fr' | 'en') =>
    broken
      .flatMap((c) => c.messages.filter((m) => m.level === 'error').map((m) => `- [${c.id}] ${m.text[lang]}`))
      .join('\n');
  return {
    subject: {
      fr: `Domaine ${report.domain} : la configuration DNS est cassée`,
      en: `Domain ${report.domain}: the DNS setup is broken`,
    },
    text: {
      fr: `La vérification de ${report.domain} du ${report.checkedAt} a trouvé des erreurs. Le courrier du domaine peut ne plus arriver ou être refusé.\n\n${lines('fr')}\n\nLa liste complète des enregistrements à publier, avec ce que nous voyons et un bouton « Vérifier maintenant », est dans la console : ${link}`,
      en: `The check of ${report.domain} at ${report.checkedAt} found errors. The domain's mail may no longer arrive or may be rejected.\n\n${lines('en')}\n\nThe full list of records to publish, with what we see and a "Check now" button, is in the console: ${link}`,
    },
  };
}

/**
 * Checks one domain and stores the result. When its definite state goes from ok (or warning)
 * to error, each admin of its collective gets one e-mail, not repeated until the state changes;
 * `unknown` (temporary DNS trouble) changes nothing.
 */
export async function recheckDomain(ctx: AppContext, domain: DomainRow): Promise<DomainCheckReport> {
  const report = await runDomainCheck(ctx, domain, { propagation: false });
  if (report.status === 'unknown') return report;
  const definite = report.status;
  const previous = await getDnsState(ctx, domain.id);
  const becameBroken = definite === 'error' && previous && previous.definite_status !== 'error';
  const noticeDue = definite === 'error' && (becameBroken || previous?.notice_due === true);
  await saveDnsState(ctx, domain.id, { definite_status: definite, notice_due: noticeDue });
  if (noticeDue) {
    try {
      await sendNotice(ctx, {
        to: await adminEmails(ctx, domain.collective_id),
        ...brokenNotice(report, webLink(ctx.config, `/console/domains/${domain.name}`)),
      });
      await markNoticeSent(ctx, domain.id);
    } catch (err) {
      // Kept due: the next re-check tries again.
      logger.warn({ err, domain: domain.name }, 'DNS breakage notice not sent');
    }
  }
  return report;
}

/**
 * One pass of the scheduler: the share of domains due this tick (spreading all domains over the
 * interval), oldest check first; pending claims are verified, active domains re-checked and
 * their DKIM keys moved along.
 */
export async function runDnsTick(ctx: AppContext, tickMs: number): Promise<number> {
  const settings = ctx.config.dns;
  const intervalMs = settings.recheckMinutes * 60_000;
  const share = Math.max(1, Math.ceil(((await countDomains(ctx)) * tickMs) / intervalMs));
  const due = await domainsDueForCheck(ctx, intervalMs, share);
  await eachLimited(due, settings.recheckConcurrency, async (domain) => {
    try {
      if (domain.status === 'pending') {
        // The DNS lookup holds no transaction; the activation, if any, has its own.
        const proof = await checkOwnershipProof(ctx, domain);
        const outcome = await runInTransaction({ ...ctx, actor: jobActor }, (tx) =>
          verifyDomain(tx, domain, proof),
        );
        if (!outcome.verified) {
          await storeDomainCheck(ctx, domain.id, {
            domain: domain.name,
            checkedAt: ctx.now().toISOString(),
            status: outcome.check.status,
            checks: [outcome.check],
          });
          return;
        }
        domain = { ...domain, status: 'active' };
      }
      await recheckDomain(ctx, domain);
      await advanceDkimRotation(ctx, domain);
    } catch (err) {
      // A claim dropped or taken meanwhile is not a failure of the job.
      if (!isAppError(err)) logger.error({ err, domain: domain.name }, 'DNS re-check failed');
    }
  });
  return due.length;
}

const LOCK = 'giroflee:dns-jobs';

/** The scheduled DNS work, run by one giroflee copy at a time (advisory lock). */
export function startDnsJobs(ctx: AppContext, tickMs = 60_000): { stop(): Promise<void> } {
  return runPeriodically(
    tickMs,
    // The lock's transaction only holds the lock: the tick works through the pool.
    () =>
      runInTransaction(ctx, async (lock) => {
        if (await tryAdvisoryLock(lock.db, LOCK)) await runDnsTick(ctx, tickMs);
      }),
    (err) => logger.error({ err }, 'DNS jobs tick failed'),
  );
}

export const dnsJobsComponent: Component = {
  name: 'dns-jobs',
  start: async (ctx) => startDnsJobs(ctx),
};
