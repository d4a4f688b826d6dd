import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { FaultLab } from '../../bench/faults/fault-lab';
import { removeTemporaryCluster, temporaryClusterDir } from '../../src/db/embedded';
import { createDb, type Db, migrateLatest } from '../../src/db/knex';

const repo = path.join(__dirname, '..', '..');
const tsRegister = ['-r', path.join(repo, 'tests', 'support', 'ts-register.js')];

/** PostgreSQL in a child process, so that the test can stop and start it. */
async function startPostgres(dir: string, port?: number): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(path.join(repo, 'tests', 'support', 'embedded-postgres-process.ts'), [], {
    execArgv: tsRegister,
    env: { ...process.env, PG_DIR: dir, PG_PORT: String(port ?? 0) },
  });
  const { url } = await new Promise<{ url: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`PostgreSQL process exited (${code})`)));
    child.once('message', (m) => resolve(m as { url: string }));
  });
  child.removeAllListeners('exit');
  return { url, child };
}

function stopPostgres(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

/**
 * Short versions of bench/faults, on the real stack with the inbound gateway in its own
 * process and a PostgreSQL of this file's own: a stream of messages of mixed sizes, one fault
 * while it runs, and nothing may be lost or stored in clear. (Dovecot stopped mid-stream is in
 * inbound-gateway.test.ts; a PostgreSQL restart is in bench/faults only: Postfix's resolver
 * takes minutes to come back, see bench/RESULTS.md.) Outbound: submitted mail while the primary
 * relay flaps, then every relay is down.
 */
describe('faults during a mail stream, on the real stack', () => {
  let dir: string;
  let pg: { url: string; child: ChildProcess };
  let db: Db;
  let lab: FaultLab;
  const stream = {
    count: 24,
    sizes: [2_000, 20_000, 120_000],
    faultAfter: 4,
    downMs: 2000,
    deadlineMs: 90_000,
  };

  beforeAll(async () => {
    // Traversable by the cluster's user, so the cluster stays in it and goes with it.
    let clusterDir: string;
    ({ dir, clusterDir } = temporaryClusterDir('giroflee-faults-pg-'));
    pg = await startPostgres(clusterDir);
    const port = Number(new URL(pg.url).port);
    db = createDb(pg.url, { min: 0, max: 4 });
    await migrateLatest(db);
    lab = new FaultLab({
      databaseUrl: pg.url,
      db,
      gateway: { module: path.join(repo, 'bench', 'encrypt', 'gateway-process.ts'), execArgv: tsRegister },
      // Short enough for the short flaps below; giroflee's default is 60 s.
      breakerCoolDownMs: 2000,
      async restartPostgres(downMs) {
        await stopPostgres(pg.child);
        await new Promise((r) => setTimeout(r, downMs));
        pg = await startPostgres(clusterDir, port);
      },
    });
    await lab.start();
  }, 240_000);

  afterAll(async () => {
    try {
      await lab?.stop();
      await db?.destroy();
    } finally {
      if (pg) await stopPostgres(pg.child);
      if (dir) removeTemporaryCluster(dir);
    }
  });

  it('loses nothing when the gateway is killed (SIGKILL) mid-stream and restarted', async () => {
    const r = await lab.stream({ fault: 'gateway SIGKILL, restarted', ...stream });
    expect(r).toEqual(
      expect.objectContaining({
        sent: stream.count,
        delivered: stream.count,
        queued: 0,
        lost: 0,
        storedInClear: 0,
      }),
    );
    // A message Dovecot stored whose 250 the killed gateway never passed on is delivered again
    // by Postfix (RFC 5321 §6.1), and Dovecot's Sieve discards that second delivery of the same
    // queue file (its delivery id); at most one per kill, and only one whose first copy was
    // stored as the gateway died.
    expect(r.duplicated).toBeLessThanOrEqual(1);
    expect(r.detail).toEqual(expect.objectContaining({ duplicatesStoredAtTheKill: r.duplicated }));
    // One delivery at a time per mailbox: Dovecot's tracking file kept every delivery id
    // (mailbox-turns.ts), so no retry of a stored message can be stored again.
    expect(r.detail!.deliveryIdsTracked).toBe(r.detail!.deliveryIdsStored);
  }, 180_000);

  it('loses nothing and duplicates nothing when Dovecot’s disk is full for a while', async () => {
    const r = await lab.stream({ fault: 'Dovecot disk full', ...stream, faultAfter: 1 });
    expect(r).toEqual(
      expect.objectContaining({
        sent: stream.count,
        delivered: stream.count,
        queued: 0,
        lost: 0,
        duplicated: 0,
        storedInClear: 0,
      }),
    );
  }, 180_000);

  it('loses and duplicates nothing when the primary relay flaps, then every relay is down for a while', async () => {
    const r = await lab.outboundStream({
      count: 30,
      sizes: stream.sizes,
      faultAfter: 3,
      flap: { periodMs: 1500, cycles: 2 },
      downMs: 4000,
      deadlineMs: 90_000,
    });
    expect(r).toEqual(
      expect.objectContaining({ sent: 30, delivered: 30, queued: 0, lost: 0, duplicated: 0 }),
    );
    // The flaps sent mail to the fallback, and Postfix held what came while every relay was down.
    expect(r.detail!.viaPrimary).toBeGreaterThanOrEqual(3);
    expect(r.detail!.viaFallback).toBeGreaterThan(0);
    expect(r.detail!.queuedAtOutageEnd).toBeGreaterThan(0);
  }, 180_000);
});
