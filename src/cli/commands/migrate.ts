import type { Command } from 'commander';
import { migrateRollbackAll } from '../../db/knex';
import type { Knex } from 'knex';
import { action, withContext, output } from '../run-context';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .option('--json', 'print JSON')
    .option('--rollback-all', 'undo every migration (destroys all data)')
    .action(
      action(async (opts: { json?: boolean; rollbackAll?: boolean }) => {
        // withContext applies the pending migrations before anything else.
        await withContext(async (ctx) => {
          if (opts.rollbackAll) await migrateRollbackAll(ctx.db as Knex);
          const [done] = (await ctx.db.raw('SELECT count(*)::int AS n FROM knex_migrations')).rows;
          output(opts.json, { applied: done.n, rolledBack: Boolean(opts.rollbackAll) }, () =>
            opts.rollbackAll
              ? 'all migrations rolled back'
              : `database schema current (${done.n} migrations)`,
          );
        });
      }),
    );
}
