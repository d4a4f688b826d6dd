import type { Command } from 'commander';
import { appliedMigrationCount, migrateRollbackAll } from '../../db/knex';
import { action, commandGroup, withContext, output } from '../run-context';

export function registerMigrate(program: Command): void {
  commandGroup(program, 'migrate')
    .option('--json', 'print JSON')
    .option('--rollback-all', 'undo every migration (destroys all data)')
    .action(
      action(async (opts: { json?: boolean; rollbackAll?: boolean }) => {
        // withContext applies the pending migrations before anything else.
        await withContext(async (ctx) => {
          if (opts.rollbackAll) await migrateRollbackAll(ctx.db);
          const applied = await appliedMigrationCount(ctx.db);
          output(opts.json, { applied, rolledBack: Boolean(opts.rollbackAll) }, () =>
            opts.rollbackAll
              ? 'all migrations rolled back'
              : `database schema current (${applied} migrations)`,
          );
        });
      }),
    );
}
