import { isAppError } from '../errors';
import type { AppContext } from '../context';
import type { DomainRow } from '../domains/find-domain';
import { logger } from '../logger';
import { sendNotice } from '../notify/send-notice';
import type { Component } from '../serve';
import { checkDomain, DomainCheckReport, storeCheck } from './check-domain';
import { advanceDkimRotation } from './dkim-rotation';
import { collectiveAdmins, verifyDomain } from './verify-domain';

const jobActor = { type: 'system', label: 'dns-jobs' } as const;

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
function brokenNotice(report: DomainCheckReport) {
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
      fr: `La vérification de ${report.domain} du ${report.checkedAt} a trouvé des erreurs. Le courrier du domaine peut ne plus arriver ou être refusé.\n\n${lines('fr')}\n\nLa liste complète des enregistrements à publier est dans la console (Domaines → ${report.domain}).`,
      en: `The check of ${report.domain} at ${report.checkedAt} found errors. The domain's mail may no longer arrive or may be rejected.\n\n${lines('en')}\n\nThe full list of records to publish is in the console (Domains → ${report.domain}).`,
    },
  };
}

/**
 * Checks one domain and stores the result. When its definite state goes from ok (or warning)
 * to error, each admin of its collective gets one e-mail, not repeated until the state changes;
 * `unknown` (temporary DNS trouble) changes nothing.
 */
export async function recheckDomain(ctx: AppContext, domain: DomainRow): Promise<DomainCheckReport> {
  const report = await checkDomain(ctx, domain, { propagation: false });
  await storeCheck(ctx.db, domain.id, report);
  if (report.status === 'unknown') return report;
  const definite = report.status;
  const previous = await ctx.db('domain_dns_state').where({ domain_id: domain.id }).first();
  const becameBroken = definite === 'error' && previous && previous.definite_status !== 'error';
  const noticeDue = definite === 'error' && (becameBroken || previous?.notice_due === true);
  await ctx
    .db('domain_dns_state')
    .insert({ domain_id: domain.id, definite_status: definite, notice_due: noticeDue, updated_at: ctx.now() })
    .onConflict('domain_id')
    .merge();
  if (noticeDue) {
    try {
      await sendNotice(ctx, {
        to: await collectiveAdmins(ctx.db, domain.collective_id),
        ...brokenNotice(report),
      });
      await ctx
        .db('domain_dns_state')
        .where({ domain_id: domain.id })
        .update({ notice_due: false, notified_at: ctx.now() });
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
  const [{ n }] = await ctx.db('domains').count<{ n: string }[]>({ n: '*' });
  const share = Math.max(1, Math.ceil((Number(n) * tickMs) / intervalMs));
  const due: DomainRow[] = await ctx
    .db('domains')
    .where((q) =>
      q
        .whereNull('last_checked_at')
        .orWhere('last_checked_at', '<', new Date(ctx.now().getTime() - intervalMs)),
    )
    .whereNot({ status: 'suspended' })
    .orderByRaw('last_checked_at NULLS FIRST')
    .limit(share);
  await eachLimited(due, settings.recheckConcurrency, async (domain) => {
    try {
      if (domain.status === 'pending') {
        const outcome = await verifyDomain(ctx, jobActor, domain);
        if (!outcome.verified) {
          await storeCheck(ctx.db, domain.id, {
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
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= ctx.db
      .transaction(async (trx) => {
        const [{ locked }] = (
          await trx.raw('SELECT pg_try_advisory_xact_lock(hashtext(?)) AS locked', [LOCK])
        ).rows;
        if (locked) await runDnsTick(ctx, tickMs);
      })
      .catch((err) => logger.error({ err }, 'DNS jobs tick failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, tickMs);
  timer.unref();
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

export const dnsJobsComponent: Component = {
  name: 'dns-jobs',
  start: async (ctx) => startDnsJobs(ctx),
};
