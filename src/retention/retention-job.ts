import { deleteResolvedAlerts } from '../alerts/alerts';
import { deleteAuditBefore, scrubAuditDetails } from '../audit/record-audit';
import { deleteStaleThrottles } from '../auth/login-throttle';
import { deleteEndedSessions } from '../auth/sessions';
import { runPeriodically, type Component } from '../component';
import type { AppContext, ServiceContext } from '../context';
import { runInTransaction, tryAdvisoryLock } from '../db/transaction';
import { logger } from '../logger';
import { jobMetrics } from '../metrics/metrics';

const DAY = 24 * 3600_000;
const BATCH = 5000;
const LOCK = 'giroflee:retention';
const TICK_MS = 3600_000;

interface RetentionTask {
  /** `table` or `table.column`, for the metric and the log. */
  name: string;
  days: (ctx: AppContext) => number;
  /** Removes or empties up to `limit` rows older than `before`; how many it did. */
  run(ctx: ServiceContext, before: Date, limit: number): Promise<number>;
}

/** What giroflee forgets, and after how long (GIROFLEE_TRAFFIC_RETENTION_DAYS, GIROFLEE_AUDIT_RETENTION_DAYS). */
const tasks: RetentionTask[] = [
  { name: 'sessions', days: (c) => c.config.retention.trafficDays, run: deleteEndedSessions },
  { name: 'login_throttle', days: (c) => c.config.retention.trafficDays, run: deleteStaleThrottles },
  { name: 'audit_log.details', days: (c) => c.config.retention.trafficDays, run: scrubAuditDetails },
  { name: 'audit_log', days: (c) => c.config.retention.auditDays, run: deleteAuditBefore },
  { name: 'alerts', days: (c) => c.config.retention.auditDays, run: deleteResolvedAlerts },
];

/**
 * One pass of the retention job, by whichever copy of giroflee takes its lock: each task in
 * batches, one transaction per batch, until nothing older than its limit is left. Returns the
 * rows each task changed, or undefined when another copy is running it.
 */
export async function runRetention(ctx: AppContext): Promise<Record<string, number> | undefined> {
  // The lock's transaction only holds the lock: the batches commit one by one through the pool.
  return runInTransaction(ctx, async (lock) => {
    if (!(await tryAdvisoryLock(lock.db, LOCK))) return undefined;
    const done: Record<string, number> = {};
    for (const task of tasks) {
      const before = new Date(ctx.now().getTime() - task.days(ctx) * DAY);
      let total = 0;
      for (;;) {
        const n = await runInTransaction(ctx, (tx) => task.run(tx, before, BATCH));
        total += n;
        if (n < BATCH) break;
      }
      done[task.name] = total;
      if (total) jobMetrics.rows.inc({ task: 'retention', table: task.name }, total);
    }
    jobMetrics.lastSuccess.set({ task: 'retention' }, ctx.now().getTime() / 1000);
    logger.info({ job: 'retention', ...done }, 'retention pass');
    return done;
  });
}

/** The retention job in `giroflee serve`: at start, then every hour. */
export const retentionComponent: Component = {
  name: 'retention',
  start: async (ctx) =>
    runPeriodically(
      TICK_MS,
      () => runRetention(ctx),
      (err) => logger.error({ err }, 'retention pass failed'),
    ),
};
