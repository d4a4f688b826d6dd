import type { Knex } from 'knex';
import { logger } from '../logger';
import type { Db } from './knex';

type Hook = () => Promise<unknown> | unknown;

const hooks = new WeakMap<Knex.Transaction, Hook[]>();

/**
 * Runs `fn` with `ctx.db` replaced by a new transaction, commits, then runs what `fn` queued
 * with afterCommit. Only callers open transactions (a route, a CLI command, a job's batch);
 * services and commands run in the one they are given.
 */
export async function runInTransaction<C extends { db: Knex }, T>(
  ctx: C,
  fn: (ctx: Omit<C, 'db'> & { db: Knex.Transaction }) => Promise<T>,
): Promise<T> {
  const queued: Hook[] = [];
  const result = await ctx.db.transaction((trx) => {
    hooks.set(trx, queued);
    return fn({ ...ctx, db: trx });
  });
  for (const hook of queued) await run(hook);
  return result;
}

async function run(hook: Hook): Promise<void> {
  try {
    await hook();
  } catch (err) {
    // The change is durable; what follows it (a notice) is best effort.
    logger.warn({ err }, 'work after commit failed');
  }
}

/**
 * Work that must only happen once the change is durable (an e-mail about it): queued until the
 * transaction opened by runInTransaction commits, dropped if it rolls back; outside such a
 * transaction it runs now. Its failures are logged, never thrown.
 */
export async function afterCommit(db: Db, hook: Hook): Promise<void> {
  const queue = (db as Knex.Transaction).isTransaction ? hooks.get(db as Knex.Transaction) : undefined;
  if (queue) queue.push(hook);
  else await run(hook);
}

/**
 * Takes a transaction-scoped advisory lock if no one holds it: how a scheduled job makes sure
 * one giroflee copy runs it at a time. Released when the transaction ends.
 */
export async function tryAdvisoryLock(trx: Knex.Transaction, key: number | string): Promise<boolean> {
  const sql =
    typeof key === 'number'
      ? 'SELECT pg_try_advisory_xact_lock(?) AS locked'
      : 'SELECT pg_try_advisory_xact_lock(hashtext(?)) AS locked';
  const [{ locked }] = (await trx.raw(sql, [key])).rows;
  return locked;
}
