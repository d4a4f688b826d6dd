import type { AppContext } from '../context';
import { migrationsCurrent } from '../db/knex';

export type Readiness =
  | { status: 'ready' | 'migrations_pending'; database: 'ok' }
  | { status: 'unavailable'; database: 'unreachable' };

/** Whether this copy can serve: the database answers and its schema is the one this build expects. */
export async function readiness(ctx: AppContext): Promise<Readiness> {
  try {
    await ctx.db.raw('SELECT 1');
    return { status: (await migrationsCurrent(ctx.db)) ? 'ready' : 'migrations_pending', database: 'ok' };
  } catch {
    return { status: 'unavailable', database: 'unreachable' };
  }
}
