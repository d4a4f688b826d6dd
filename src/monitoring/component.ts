import { runPeriodically, type Component } from '../component';
import type { AppContext } from '../context';
import { runInTransaction, tryAdvisoryLock } from '../db/transaction';
import { logger } from '../logger';
import { readHostQueues, runMonitors } from './monitors';

const LOCK = 'giroflee:platform-monitors';

/**
 * One pass: this host's checks and queue metrics (every copy watches its own machine), then the
 * platform's checks on whichever copy takes the lock.
 */
export async function monitorTick(ctx: AppContext): Promise<void> {
  const host = { queues: await readHostQueues(ctx) };
  await runMonitors(ctx, 'host', host);
  // The lock's transaction only holds the lock: the checks work through the pool.
  await runInTransaction(ctx, async (lock) => {
    if (await tryAdvisoryLock(lock.db, LOCK)) await runMonitors(ctx, 'platform', host);
  });
}

/** The monitors of `giroflee serve`, every GIROFLEE_MONITOR_SECONDS (60 s). */
export const monitoringComponent: Component = {
  name: 'monitoring',
  start: async (ctx) =>
    runPeriodically(
      ctx.config.monitor.intervalMs,
      () => monitorTick(ctx),
      (err) => logger.error({ err }, 'monitoring tick failed'),
    ),
};
