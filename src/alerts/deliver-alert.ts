import type { AppContext } from '../context';
import { logger, withoutAddresses } from '../logger';
import { alertMetrics } from '../metrics/metrics';
import {
  claimDelivery,
  finishDelivery,
  getAlert,
  recordTold,
  undeliveredKeys,
  type AlertChannel,
  type AlertRow,
} from './alerts';
import { configuredChannels, sendToChannel } from './channels';

/** How long a copy may hold an alert while it delivers (a webhook times out after 10 s, SMTP later). */
const CLAIM_MS = 5 * 60_000;
const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 60 * 60_000;
/** State changes caught up with within one delivery before leaving the rest to the next try. */
const MAX_ROUNDS = 5;

/** A firing alert goes to every channel not yet told so; a resolution only to those told it fired. */
function needs(row: AlertRow, channel: AlertChannel): boolean {
  return row.state === 'firing' ? row.told[channel] !== 'firing' : row.told[channel] === 'firing';
}

/** A reason fit for the log: the webhook's URL (its token) and the peer's address stay out. */
function reason(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { code?: string } };
  const code = e?.cause?.code ?? e?.code;
  return withoutAddresses(`${e?.message ?? String(err)}${code ? ` (${code})` : ''}`).slice(0, 300);
}

/**
 * Tells every configured channel the alert's current state, if this copy can take the row
 * (another one may be delivering it, or its next try may not be due). Catches up when the state
 * changes meanwhile. A channel that fails leaves the alert undelivered, retried after a growing
 * delay (1 min, 2, 4… up to 1 h) by deliverPendingAlerts; channels already told are not told again.
 */
export async function deliverAlert(ctx: AppContext, key: string): Promise<void> {
  let row = await claimDelivery(ctx, key, new Date(ctx.now().getTime() + CLAIM_MS));
  if (!row) return;
  const channels = configuredChannels(ctx);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let failed = false;
    for (const channel of channels) {
      if (!needs(row, channel)) continue;
      try {
        await sendToChannel(ctx, channel, row);
        alertMetrics.deliveries.inc({ channel, result: 'sent' });
        row = await recordTold(ctx, key, channel, row.state);
      } catch (err) {
        failed = true;
        alertMetrics.deliveries.inc({ channel, result: 'failed' });
        logger.error({ alert: key, channel, reason: reason(err) }, 'alert not delivered');
      }
    }
    if (failed) {
      const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(row.attempts, 10));
      await finishDelivery(ctx, key, { done: false, retryAt: new Date(ctx.now().getTime() + delay) });
      return;
    }
    // The state moved while a channel was being told: another round for what it needs now.
    const current = row;
    if (channels.some((c) => needs(current, c))) continue;
    // Finished only if the state is still the last one read; otherwise, another round.
    if (await finishDelivery(ctx, key, { done: true, version: row.version })) return;
    const latest = await getAlert(ctx, key);
    if (!latest) return;
    row = latest;
  }
  await finishDelivery(ctx, key, { done: false, retryAt: ctx.now() });
}

/** Delivers what an earlier try left undelivered (a channel down, a copy stopped mid-delivery). */
export async function deliverPendingAlerts(ctx: AppContext): Promise<number> {
  const keys = await undeliveredKeys(ctx);
  for (const key of keys) {
    try {
      await deliverAlert(ctx, key);
    } catch (err) {
      logger.error({ err, alert: key }, 'alert delivery failed');
    }
  }
  return keys.length;
}
