import knex, { Knex } from 'knex';
import { migrationSource } from '../../migrations';

export type Db = Knex | Knex.Transaction;

export function createDb(
  connectionString: string,
  pool: { min: number; max: number } = { min: 0, max: 10 },
): Knex {
  return knex({ client: 'pg', connection: connectionString, pool });
}

export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

export async function migrateRollbackAll(db: Knex): Promise<void> {
  await db.migrate.rollback({ migrationSource }, true);
}

/** True when every migration this build knows about has been applied. */
export async function migrationsCurrent(db: Knex): Promise<boolean> {
  const [, pending] = (await db.migrate.list({ migrationSource })) as [unknown[], unknown[]];
  return pending.length === 0;
}

/** How many migrations the database has applied. */
export async function appliedMigrationCount(db: Knex): Promise<number> {
  const [done] = (await db.raw('SELECT count(*)::int AS n FROM knex_migrations')).rows;
  return done.n;
}
