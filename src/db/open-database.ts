import fs from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Config } from '../config';
import { createDb } from './knex';
import { EmbeddedDatabase, planEmbeddedCluster, startEmbeddedPostgres } from './embedded';

export interface OpenDatabase {
  db: Knex;
  url: string;
  close(): Promise<void>;
}

/** Port of an embedded cluster already running under the data directory (serve, while a CLI runs). */
async function runningEmbeddedPort(pgDir: string): Promise<number | undefined> {
  const pid = await fs.readFile(path.join(pgDir, 'postmaster.pid'), 'utf8').catch(() => null);
  if (!pid) return undefined;
  const lines = pid.split('\n');
  try {
    process.kill(Number(lines[0]), 0);
  } catch {
    return undefined;
  }
  // postmaster.pid, line 4: the port the postmaster listens on.
  const port = Number(lines[3]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/**
 * Throws, creating nothing, when the embedded cluster could not start where the configuration
 * puts it (see embedded.ts); for the start-up checks that come before anything is created.
 */
export async function checkDatabase(config: Config): Promise<void> {
  if (config.databaseUrl) return;
  const pgDir = path.join(config.dataDir, 'postgres');
  if (await runningEmbeddedPort(pgDir)) return;
  planEmbeddedCluster(pgDir);
}

/**
 * DATABASE_URL when set; otherwise the embedded cluster under <data>/postgres, joined when
 * another giroflee process already runs it, started (and later stopped) by us when not.
 */
export async function openDatabase(
  config: Config,
  pool?: { min: number; max: number },
): Promise<OpenDatabase> {
  if (config.databaseUrl) {
    const db = createDb(config.databaseUrl, pool);
    return { db, url: config.databaseUrl, close: () => db.destroy() };
  }
  const pgDir = path.join(config.dataDir, 'postgres');
  const port = await runningEmbeddedPort(pgDir);
  let embedded: EmbeddedDatabase | undefined;
  let url: string;
  if (port) {
    url = `postgres://giroflee:giroflee@127.0.0.1:${port}/giroflee`;
  } else {
    embedded = await startEmbeddedPostgres(pgDir);
    url = embedded.url;
  }
  const db = createDb(url, pool);
  return {
    db,
    url,
    async close() {
      await db.destroy();
      await embedded?.stop();
    },
  };
}
