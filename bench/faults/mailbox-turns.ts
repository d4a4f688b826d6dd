/**
 * bench/faults/mailbox-turns: what one delivery at a time per mailbox (src/encryption/
 * mailbox-turns.ts) costs, against the gateway delivering in parallel to one mailbox as before.
 * One private stack (Postfix → inbound gateway in its own process → Dovecot), the gateway
 * restarted on the same port between the two variants; each round measures both, in an order
 * that alternates, on two loads of BENCH_MESSAGES messages (default 300) of BENCH_SIZE_KB (10):
 *   hot   one mailbox, smtp-source over 10 sessions;
 *   many  ten mailboxes, one smtp-source session each.
 * For each: the rate into the Maildirs, the CPU per message of Postfix, Dovecot, PostgreSQL and
 * the gateway (process trees, from /proc), and how many delivery ids Dovecot's Sieve tracking
 * files kept of those stored (each one missing is a message a retry would store twice).
 * Run as root: `npm run build && node dist/bench/faults/mailbox-turns.js` (BENCH_ROUNDS, 3).
 */
import { ChildProcess, fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { hashPassword } from '../../src/auth/password-hash';
import { loadConfig } from '../../src/config';
import { removeTemporaryCluster, startEmbeddedPostgres, temporaryClusterDir } from '../../src/db/embedded';
import { createDb, migrateLatest } from '../../src/db/knex';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { Keyring } from '../../src/encryption/master-key';
import { freeLoopbackPorts, freeMailstackPorts } from '../../src/mailstack/free-ports';
import { dovecotPidFile, postfixPidFile } from '../../src/mailstack/processes';
import { startMailstack } from '../../src/mailstack/start-mailstack';
import { machineBusySeconds, pidFromFile, treeCpuSeconds } from '../lib/cpu';
import { smtpSource } from '../lib/inbound-sender';
import { machineLine, median, spread } from '../lib/stats';
import { trackedIdCount } from './dedup-tracking';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 300);
const SIZE = Number(process.env.BENCH_SIZE_KB ?? 10) * 1024;
const WARMUP = 10;
const PASSWORD = 'bench password, long enough';
const VARIANTS = { turns: 'one at a time per mailbox', parallel: 'parallel per mailbox (before)' };
const LOADS = { hot: { mailboxes: 1, sessions: 10 }, many: { mailboxes: 10, sessions: 1 } };
const PARTS = ['postfix', 'dovecot', 'postgres', 'gateway'];

type Variant = keyof typeof VARIANTS;
type Load = keyof typeof LOADS;

interface Sample {
  rate: number;
  cpu: Record<string, number>;
  stored: number;
  tracked: number;
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function startGateway(databaseUrl: string, listen: number, nextHop: number, variant: Variant) {
  const child = fork(path.join(__dirname, '..', 'encrypt', 'gateway-process.js'), [], {
    env: {
      ...process.env,
      BENCH_DATABASE_URL: databaseUrl,
      BENCH_LISTEN_PORT: String(listen),
      BENCH_NEXT_HOP_PORT: String(nextHop),
      BENCH_PARALLEL_PER_MAILBOX: variant === 'parallel' ? '1' : '0',
      LOG_LEVEL: 'warn',
    },
  });
  return new Promise<ChildProcess>((resolve, reject) => {
    child.once('error', reject);
    child.once('message', () => resolve(child));
  });
}

function stopGateway(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

const storedCount = (home: string) =>
  ['new', 'cur'].reduce((n, sub) => {
    const dir = path.join(home, 'Maildir', sub);
    return n + (fs.existsSync(dir) ? fs.readdirSync(dir).length : 0);
  }, 0);

async function waitStored(homes: string[], count: number): Promise<void> {
  const deadline = Date.now() + 900_000;
  for (;;) {
    const n = homes.reduce((t, h) => t + storedCount(h), 0);
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`${n} of ${count} messages stored`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: Postfix and Dovecot are started by the bench');
  const started = Date.now();
  const startLoad = loadAverage();
  const { dir: pgDir, clusterDir } = temporaryClusterDir('giroflee-bench-turns-pg-');
  const pg = await startEmbeddedPostgres(clusterDir);
  const db: Knex = createDb(pg.url, { min: 1, max: 4 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-bench-turns-'));
  let gateway: ChildProcess | undefined;
  let stack: Awaited<ReturnType<typeof startMailstack>> | undefined;
  const cleanUp = async () => {
    await stack?.stop().catch((e) => process.stderr.write(`${e}\n`));
    if (gateway) await stopGateway(gateway);
    await db.destroy();
    await pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    removeTemporaryCluster(pgDir);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  try {
    await migrateLatest(db);
    const ports = { ...(await freeMailstackPorts()), rspamdScan: undefined };
    const [gatewayPort] = await freeLoopbackPorts(1);
    let current: Variant = 'turns';
    gateway = await startGateway(pg.url, gatewayPort, ports.dovecotLmtp, current);
    stack = await startMailstack({
      dir,
      databaseUrl: pg.url,
      ports,
      inboundTransport: 'gateway',
      gatewayLmtp: { host: '127.0.0.1', port: gatewayPort },
    });
    const [collective] = await db('collectives')
      .insert({ slug: `bench-${crypto.randomBytes(4).toString('hex')}`, name: 'bench' })
      .returning('id');
    const [domain] = await db('domains')
      .insert({
        name: `turns-${crypto.randomBytes(4).toString('hex')}.bench.example`,
        collective_id: collective.id,
        status: 'active',
        verification_token: 'bench',
      })
      .returning(['id', 'name']);
    const hash = await hashPassword(PASSWORD);
    const keysCtx = {
      db,
      config: loadConfig({ NODE_ENV: 'production' }),
      keyring: new Keyring([Keyring.generateKey()]),
      now: () => new Date(),
    };
    const newMailbox = async (tag: string) => {
      const [row] = await db('mailboxes')
        .insert({
          domain_id: domain.id,
          local_part: tag,
          password_hash: hash,
          encryption_mode: 'generated',
          quota_bytes: 2 ** 40,
        })
        .returning(['id', 'address']);
      await provisionMailboxKeys(keysCtx, row, PASSWORD);
      return { address: row.address as string, home: path.join(stack!.mailRoot, domain.name, tag) };
    };
    const paths = stack.settings.paths;
    const measure = async (variant: Variant, load: Load, tag: string): Promise<Sample> => {
      if (variant !== current) {
        await stopGateway(gateway!);
        gateway = await startGateway(pg.url, gatewayPort, ports.dovecotLmtp, variant);
        current = variant;
      }
      const { mailboxes, sessions } = LOADS[load];
      const boxes = await Promise.all(
        Array.from({ length: mailboxes }, (_, i) => newMailbox(`${tag}-${variant}-${load}-${i}`)),
      );
      const homes = boxes.map((b) => b.home);
      const send = async (count: number) =>
        Promise.all(
          boxes.map((b, i) =>
            smtpSource(
              stack!.ports.mx,
              b.address,
              Math.floor(count / mailboxes) + (i < count % mailboxes ? 1 : 0),
              SIZE,
              sessions,
            ),
          ),
        );
      // Warm-up: the gateway's connections and key cache, the new mailboxes' folders.
      await send(WARMUP);
      await waitStored(homes, WARMUP);
      const roots = {
        postfix: pidFromFile(postfixPidFile(paths.postfixQueueDir)),
        dovecot: pidFromFile(dovecotPidFile(paths.dovecotBaseDir)),
        postgres: pidFromFile(path.join(pg.dir, 'postmaster.pid')),
        gateway: gateway!.pid,
      };
      const before = { trees: treeCpuSeconds(roots), machine: machineBusySeconds() };
      const t0 = process.hrtime.bigint();
      await send(MESSAGES);
      await waitStored(homes, WARMUP + MESSAGES);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const after = { trees: treeCpuSeconds(roots), machine: machineBusySeconds() };
      const cpu: Record<string, number> = {};
      for (const part of PARTS) cpu[part] = ((after.trees[part] - before.trees[part]) * 1000) / MESSAGES;
      cpu.machine = ((after.machine - before.machine) * 1000) / MESSAGES;
      const sample = {
        rate: MESSAGES / seconds,
        cpu,
        stored: homes.reduce((t, h) => t + storedCount(h), 0),
        tracked: homes.reduce((t, h) => t + trackedIdCount(h), 0),
      };
      for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
      return sample;
    };
    const results = new Map<string, Sample[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order: Variant[] = round % 2 ? ['parallel', 'turns'] : ['turns', 'parallel'];
      for (const variant of order) {
        for (const load of Object.keys(LOADS) as Load[]) {
          const s = await measure(variant, load, `r${round}`);
          const key = `${variant}/${load}`;
          results.set(key, [...(results.get(key) ?? []), s]);
          process.stderr.write(
            `round ${round + 1} ${key}: ${s.rate.toFixed(1)} msg/s, CPU ms/msg ` +
              `${PARTS.map((p) => `${p} ${s.cpu[p].toFixed(2)}`).join(', ')}, machine ${s.cpu.machine.toFixed(2)}; ` +
              `ids tracked ${s.tracked}/${s.stored}; load ${loadAverage()}\n`,
          );
        }
      }
    }
    process.stdout.write(report(results, startLoad, (Date.now() - started) / 1000));
  } finally {
    await cleanUp();
  }
}

function report(results: Map<string, Sample[]>, startLoad: string, wall: number): string {
  const lines = [
    `bench/faults/mailbox-turns — ${machineLine()}`,
    `${ROUNDS} rounds, ${MESSAGES} messages of ${SIZE / 1024} KB per load and variant (after ${WARMUP} warm-up), ` +
      `load average at start ${startLoad}, at end ${loadAverage()}; ${(wall / 60).toFixed(1)} min.`,
    '',
    '| gateway | load | msg/s | CPU ms/msg: Postfix / Dovecot / PostgreSQL / gateway = total | whole machine ms/msg | delivery ids tracked / stored |',
    '|---|---|---|---|---|---|',
  ];
  for (const load of Object.keys(LOADS) as Load[]) {
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const samples = results.get(`${variant}/${load}`)!;
      const part = (p: string) => median(samples.map((s) => s.cpu[p]));
      const total = median(samples.map((s) => PARTS.reduce((t, p) => t + s.cpu[p], 0)));
      lines.push(
        `| ${VARIANTS[variant]} | ${load} (${LOADS[load].mailboxes} mailbox${LOADS[load].mailboxes > 1 ? 'es' : ''}, ` +
          `${LOADS[load].sessions * LOADS[load].mailboxes} sessions) | ${spread(
            samples.map((s) => s.rate),
            1,
          )} | ${PARTS.map((p) => part(p).toFixed(2)).join(' / ')} = **${total.toFixed(2)}** | ` +
          `${part('machine').toFixed(2)} | ${samples.map((s) => `${s.tracked}/${s.stored}`).join(', ')} |`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
