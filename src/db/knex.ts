import knex, { Knex } from 'knex';
import { migrationSource } from '../../migrations';

export type Db = Knex | Knex.Transaction;

export function createDb(
  connectionString: string,
  pool: { min: number; max: number } = { min: 0, max: 10 },
): Knex {
  return knex({ client: 'pg', connection: connectionString, pool });
}

/**
 * Applies every pending migration. When another copy holds knex's migration lock (two nodes
 * starting at once), waits for it to finish and tries again, rather than exit.
 */
export async function migrateLatest(db: Knex, waitMs = 120_000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
      return applied;
    } catch (err) {
      if ((err as Error).name !== 'MigrationLocked' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
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

/** The migrations the database has applied, in order; none for an empty database. */
export async function appliedMigrationNames(db: Knex): Promise<string[]> {
  if (!(await db.schema.hasTable('knex_migrations'))) return [];
  return db('knex_migrations').orderBy('id').pluck('name');
}

/**
 * Applies migrations one by one until the database has exactly `names` (a restore loads rows
 * into the schema they were taken from, then migrates to the latest). Throws when `names` is
 * not where this build's migrations lead, or the database is already past it.
 */
export async function migrateTo(db: Knex, names: string[]): Promise<void> {
  const known = (await migrationSource.getMigrations([])).map((m) => migrationSource.getMigrationName(m));
  const unknown = names.find((n, i) => known[i] !== n);
  if (unknown) throw new Error(`migration ${unknown} is not one of this version's, in this order`);
  let applied = await appliedMigrationNames(db);
  if (applied.some((n, i) => names[i] !== n)) {
    throw new Error(`the database has migrations the backup does not (${applied.join(', ')})`);
  }
  while (applied.length < names.length) {
    await db.migrate.up({ migrationSource });
    applied = await appliedMigrationNames(db);
  }
}
