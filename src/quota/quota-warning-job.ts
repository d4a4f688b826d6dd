import { runPeriodically, type Component } from '../component';
import type { AppContext, ServiceContext } from '../context';
import { runInTransaction, tryAdvisoryLock } from '../db/transaction';
import { webLink } from '../config';
import { isAppError } from '../errors';
import { logger } from '../logger';
import { sendNotice } from '../notify/send-notice';
import { quotaUsage, type QuotaUsage } from './doveadm-quota';
import { clearQuotaWarnings, markQuotaWarned, warnedMailboxes } from './quota-warnings';

const BATCH = 500;
const LOCK = 'giroflee:quota-warnings';

/** Active mailboxes of active domains after `afterId`, by id: the mailboxes Dovecot serves. */
async function mailboxBatch(
  ctx: ServiceContext,
  afterId: string | null,
): Promise<Array<{ id: string; address: string }>> {
  const q = ctx
    .db('mailboxes as m')
    .join('domains as d', 'd.id', 'm.domain_id')
    .where({ 'm.status': 'active', 'd.status': 'active' })
    .orderBy('m.id')
    .limit(BATCH)
    .select('m.id', 'm.address');
  if (afterId) q.where('m.id', '>', afterId);
  return q;
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} Mio`;
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

/** `storage`: the webmail's settings, where the member sees her usage. */
function warningNotice(address: string, u: QuotaUsage, storage: string) {
  const limit = u.limitBytes ?? 0;
  return {
    to: [address],
    subject: {
      fr: `Votre boîte ${address} est pleine à ${u.percent} %`,
      en: `Your mailbox ${address} is ${u.percent}% full`,
    },
    text: {
      fr: `Votre boîte aux lettres utilise ${mib(u.usedBytes)} sur ${mib(limit)} (${u.percent} %). Quand elle sera pleine, le courrier qui vous est adressé sera refusé et ses expéditeurs prévenus.\n\nPour faire de la place : supprimez les messages devenus inutiles (surtout ceux qui ont de grosses pièces jointes) et videz la Corbeille. Pour obtenir plus d’espace, demandez aux admins de votre collectif.\n\nVotre espace, dans le webmail : ${storage}`,
      en: `Your mailbox uses ${mb(u.usedBytes)} of ${mb(limit)} (${u.percent}%). Once it is full, mail sent to you will be refused and its senders told.\n\nTo make room: delete the messages you no longer need (above all those with large attachments) and empty the Trash. For more space, ask your collective's admins.\n\nYour storage, in the webmail: ${storage}`,
    },
  };
}

/**
 * One pass over every mailbox: each one that crossed `warningPercent` since the last pass gets
 * one e-mail (sent before it is recorded: a failed send is tried again next pass), and each one
 * back under it is forgotten, so the next rise warns again. Returns how many were warned.
 */
export async function runQuotaWarnings(ctx: AppContext): Promise<number> {
  const threshold = ctx.config.quota.warningPercent;
  let warned = 0;
  for (let after: string | null = null; ;) {
    const batch = await mailboxBatch(ctx, after);
    if (batch.length === 0) return warned;
    after = batch[batch.length - 1].id;
    const usage = await quotaUsage(
      ctx,
      batch.map((m) => m.address),
    );
    const already = await warnedMailboxes(
      ctx,
      batch.map((m) => m.id),
    );
    const below: string[] = [];
    for (const m of batch) {
      const u = usage.get(m.address);
      if (!u || u.limitBytes === null) continue;
      if (u.percent < threshold) {
        if (already.has(m.id)) below.push(m.id);
        continue;
      }
      if (already.has(m.id)) continue;
      try {
        await sendNotice(ctx, warningNotice(m.address, u, webLink(ctx.config, '/mail/settings')));
        await markQuotaWarned(ctx, m.id, u.percent);
        warned += 1;
      } catch (err) {
        logger.warn({ err }, 'quota warning not sent; tried again at the next pass');
      }
    }
    await clearQuotaWarnings(ctx, below);
  }
}

/**
 * The quota warnings, every `config.quota.checkIntervalMs`, by one giroflee copy at a time. The
 * first pass waits one interval: at start-up the private mail stack starts after this component.
 */
export function startQuotaWarnings(ctx: AppContext): { stop(): Promise<void> } {
  return runPeriodically(
    ctx.config.quota.checkIntervalMs,
    () =>
      runInTransaction(ctx, async (lock) => {
        if (await tryAdvisoryLock(lock.db, LOCK)) await runQuotaWarnings(ctx);
      }),
    (err) => {
      // Dovecot down or not started (a development instance without its mail stack).
      if (isAppError(err)) logger.warn({ code: err.code, details: err.details }, 'quota warnings skipped');
      else logger.error({ err }, 'quota warnings failed');
    },
    { immediately: false },
  );
}

export const quotaWarningsComponent: Component = {
  name: 'quota-warnings',
  start: async (ctx) => startQuotaWarnings(ctx),
};
