import fs from 'node:fs';
import type { Command } from 'commander';
import type { Knex } from 'knex';
import { countRacines } from '../../accounts/accounts';
import { loadConfig } from '../../config';
import type { AppContext } from '../../context';
import { migrateLatest } from '../../db/knex';
import { openDatabase } from '../../db/open-database';
import { loadOrCreateKeyring } from '../../encryption/master-key';
import { logger } from '../../logger';
import { startComponents } from '../../serve';
import { checkStartup } from '../../startup/check-startup';
import { action, commandGroup } from '../run-context';

async function serve(): Promise<void> {
  const config = loadConfig();
  // Whatever would stop the start is found before anything (data directory, key, cluster) exists.
  await checkStartup(config);
  const database = await openDatabase(config);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o711 });
  const applied = await migrateLatest(database.db as Knex);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const ctx: AppContext = {
    db: database.db,
    config,
    keyring: loadOrCreateKeyring(config.masterKeyFile),
    now: () => new Date(),
  };

  if ((await countRacines(ctx)) === 0) {
    process.stderr.write(
      '\nNo racine account yet. Create the first one with / Aucun compte racine ; créez le premier avec :\n' +
        '  npm run giroflee -- racine add you@example.org\n\n',
    );
  }

  const stop = await startComponents(ctx).catch(async (e) => {
    await database.close();
    throw e;
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await stop();
    await database.close();
    logger.info('stopped');
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

export function registerServe(program: Command): void {
  commandGroup(program, 'serve').action(action(serve));
}
