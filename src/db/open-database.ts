import fs from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import pg from 'pg';
import type { Config } from '../config';
import { createDb } from './knex';
import { EmbeddedDatabase, planEmbeddedCluster, startEmbeddedPostgres } from './embedded';

export interface OpenDatabase {
  db: Knex;
  url: string;
  close(): Promise<void>;
}

/** The embedded cluster another giroflee process runs under the data directory (serve, while a CLI runs). */
async function runningEmbeddedPort(pgDir: string): Promise<number | undefined> {
  const pidFile = await fs.readFile(path.join(pgDir, 'postmaster.pid'), 'utf8').catch(() => null);
  if (!pidFile) return undefined;
  const lines = pidFile.split('\n');
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
 * The URL of the running embedded cluster once it accepts a session, or undefined when there is
 * none or it ends first: a server stopped just before this command came refuses sessions while it
 * shuts down (and one starting, while it starts), so we wait for either end rather than fail.
 */
async function joinRunningEmbedded(pgDir: string, timeoutMs = 60_000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const port = await runningEmbeddedPort(pgDir);
    if (!port) return undefined;
    const url = `postgres://giroflee:giroflee@127.0.0.1:${port}/giroflee`;
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return url;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
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
  let embedded: EmbeddedDatabase | undefined;
  let url = await joinRunningEmbedded(pgDir);
  if (!url) {
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
