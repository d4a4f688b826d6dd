/**
 * bench/faults: one stream of BENCH_FAULT_MESSAGES messages (default 2000) of mixed sizes per
 * fault, through the real private stack (Postfix → inbound gateway in its own process → Dovecot),
 * with the fault injected once a few messages are stored: the gateway killed (SIGKILL) and
 * restarted, Dovecot stopped for 30 s, the PostgreSQL server restarted, Dovecot's disk full for
 * 30 s; and outbound, submitted mail while the primary relay flaps (down 10 s / up 10 s, three
 * times), then every relay is down for a minute. Prints sent, delivered, still queued, lost,
 * duplicated, stored in clear and time to recover. After each fault the lab waits until every
 * message arrived, or BENCH_FAULT_WAIT_S seconds (default 1800) from the fault's end: what
 * Postfix still holds then is counted as queued (late, on a loaded machine), not lost.
 * Run as root: `npm run build && node dist/bench/faults/run.js` (BENCH_FAULTS=name,… for some:
 * each item picks the faults whose name starts with it, e.g. BENCH_FAULTS='Dovecot,gateway').
 */
import path from 'node:path';
import {
  removeTemporaryCluster,
  startEmbeddedPostgres,
  temporaryClusterDir,
  type EmbeddedDatabase,
} from '../../src/db/embedded';
import { createDb, migrateLatest } from '../../src/db/knex';
import { machineLine } from '../lib/stats';
import { FaultLab, type FaultResult } from './fault-lab';

const COUNT = Number(process.env.BENCH_FAULT_MESSAGES ?? 2000);
const WAIT_MS = Number(process.env.BENCH_FAULT_WAIT_S ?? 1800) * 1000;
const SIZES = [2_000, 10_000, 10_000, 50_000, 100_000, 10_000, 2_000, 1_200_000];
const FAULTS: Array<[Parameters<FaultLab['stream']>[0]['fault'] | 'relay flap', number]> = [
  ['relay flap', 60_000],
  ['gateway SIGKILL, restarted', 5_000],
  ['Dovecot stopped', 30_000],
  ['Dovecot disk full', 30_000],
  // Last: Postfix's resolver takes minutes to come back (see bench/RESULTS.md).
  ['PostgreSQL restarted', 10_000],
];

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: Postfix and Dovecot are started by the bench');
  // Names may hold a comma ("gateway SIGKILL, restarted"): each item picks the faults it starts.
  const only = process.env.BENCH_FAULTS?.split(',').map((o) => o.trim());
  // Traversable by the cluster's user, so the cluster stays in it and goes with it.
  const { dir, clusterDir } = temporaryClusterDir('giroflee-bench-faults-pg-');
  let pg: EmbeddedDatabase | undefined;
  let db: ReturnType<typeof createDb> | undefined;
  let lab: FaultLab | undefined;
  const results: FaultResult[] = [];
  try {
    pg = await startEmbeddedPostgres(clusterDir);
    const port = Number(new URL(pg.url).port);
    db = createDb(pg.url, { min: 0, max: 4 });
    lab = new FaultLab({
      databaseUrl: pg.url,
      db,
      gateway: { module: path.join(__dirname, '..', 'encrypt', 'gateway-process.js'), execArgv: [] },
      async restartPostgres(downMs) {
        await pg?.stop();
        await new Promise((r) => setTimeout(r, downMs));
        pg = await startEmbeddedPostgres(clusterDir, { port });
      },
    });
    await migrateLatest(db);
    await lab.start();
    for (const [fault, downMs] of FAULTS) {
      if (only && !only.some((o) => o && fault.startsWith(o))) continue;
      const common = { count: COUNT, sizes: SIZES, downMs, deadlineMs: WAIT_MS };
      const r =
        fault === 'relay flap'
          ? await lab.outboundStream({
              ...common,
              faultAfter: Math.min(100, COUNT / 10),
              flap: { periodMs: 10_000, cycles: 3 },
            })
          : await lab.stream({
              ...common,
              fault,
              faultAfter: fault === 'Dovecot disk full' ? 1 : Math.min(100, COUNT / 10),
            });
      results.push(r);
      process.stderr.write(`${JSON.stringify(r)}\n`);
    }
  } finally {
    // Each step even when the one before failed: the stopped cluster is removed in any case.
    await lab?.stop().catch((e: unknown) => process.stderr.write(`lab not stopped: ${e}\n`));
    await db?.destroy().catch(() => undefined);
    await pg?.stop();
    removeTemporaryCluster(dir);
  }
  const lines = [
    `bench/faults — ${machineLine()}`,
    `${COUNT} messages per fault, sizes cycling through ${SIZES.map((s) => `${s / 1000} KB`).join(', ')}`,
    '',
    '| fault | sent | delivered | still queued | lost | duplicated | stored in clear | recovery after the fault |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.fault} | ${r.sent} | ${r.delivered} | ${r.queued} | ${r.lost} | ${r.duplicated} | ${r.storedInClear ?? 'n/a (sent out)'} | ${r.queued ? `not yet (${(WAIT_MS / 1000).toFixed(0)} s waited)` : `${r.recoverySeconds.toFixed(1)} s`} |`,
    ),
    ...results
      .filter((r) => r.detail)
      .map(
        (r) =>
          `${r.fault}: ${Object.entries(r.detail!)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
      ),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
