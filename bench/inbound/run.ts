/**
 * bench/inbound: end-to-end delivery rate into the Maildir, Postfix's smtp-source sending N
 * messages over 10 sessions to an MX, spread over 5 mailboxes, through each inbound pipeline, in
 * interleaved rounds:
 *   lean     the lean yardstick (lean-stack.ts): Postfix → Dovecot with the same kinds of work;
 *   plain    giroflee's Postfix → Dovecot LMTP, no gateway;
 *   gateway  giroflee's Postfix → encrypting gateway (its own process) → Dovecot LMTP;
 *   hop      the gateway pipeline for mailboxes in encryption mode `none`: the gateway passes the
 *            message on unencrypted, so this is the hop alone (a second LMTP session, the lookups,
 *            the delivery id), the ceiling any gateway in that place can reach (opt-in);
 *   defence  the gateway pipeline with the inbound defence on: rspamd as the MX's milter (sender
 *            authentication against a loopback DNS server the bench runs, spam scoring, fuzzy
 *            digests) and the Sieve Junk rule at delivery. This is giroflee's whole inbound path.
 * Each round measures every pipeline at every size, in an order that rotates from round to
 * round, on a fresh mailbox after a warm-up; the figures are the median over rounds with their
 * spread, the ratios are taken within each round. Beside the rate it reports the CPU each part
 * spent per message (Postfix, Dovecot, PostgreSQL, gateway and rspamd process trees, from
 * /proc), which depends much less than the rate on what else the machine runs, and the CPU
 * other processes took meanwhile.
 *
 * One command, as root:
 *   npm run bench:inbound -- --quick   proves it runs: 2 rounds, 100 messages (20 at 1 MB)
 *   npm run bench:inbound              full: 3 rounds, 2 000 messages at 10 and 100 KB, 400 at 1 MB
 * Settings (environment) override either mode: BENCH_ROUNDS, BENCH_MESSAGES (10 and 100 KB),
 * BENCH_MESSAGES_LARGE (1 MB), BENCH_WARMUP, BENCH_MAILBOXES (1: the hot mailbox),
 * BENCH_SIZES_KB (10,100,1024,1024a: `1024` is one 1 MB text part, `1024a` 1 MB that is mostly a
 * binary attachment, see messageCases), BENCH_PIPELINES (lean,plain,gateway,defence; hop on
 * demand). Uses DATABASE_URL when set (then PostgreSQL's CPU is not attributed), else a
 * throw-away embedded PostgreSQL.
 */
import { ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { hashPassword } from '../../src/auth/password-hash';
import { startEmbeddedPostgres, temporaryClusterDir } from '../../src/db/embedded';
import { loadConfig } from '../../src/config';
import { createDb, migrateLatest } from '../../src/db/knex';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { Keyring } from '../../src/encryption/master-key';
import { freeLoopbackPorts, freeMailstackPorts } from '../../src/mailstack/free-ports';
import type { ZoneServer } from '../../src/dns/zone-server';
import { dovecotPidFile, postfixPidFile, rspamdPidFile } from '../../src/mailstack/processes';
import { SHARED_HYPERSCAN_CACHE } from '../../src/mailstack/hyperscan-cache';
import { startMailstack } from '../../src/mailstack/start-mailstack';
import {
  machineBusySeconds,
  ownSeconds,
  pidFromFile,
  processCounters,
  reapedChildrenSeconds,
  treeCpuSeconds,
} from '../lib/cpu';
import { caseSender, messageCases, startSenderDns, type MessageCase } from '../lib/inbound-sender';
import { machineLine, median, spread } from '../lib/stats';
import { startLeanStack } from './lean-stack';

const QUICK = process.argv.includes('--quick');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 2 : 3));
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? (QUICK ? 100 : 2000));
const MESSAGES_LARGE = Number(process.env.BENCH_MESSAGES_LARGE ?? (QUICK ? 20 : 400));
const CASES = messageCases(process.env.BENCH_SIZES_KB ?? '10,100,1024,1024a');
const PIPELINES = (process.env.BENCH_PIPELINES ?? 'lean,plain,gateway,defence').split(',');
const SESSIONS = 10;
/**
 * Mailboxes each measurement's messages go to, the sessions split evenly between them: a
 * platform receives for many mailboxes at once. BENCH_MAILBOXES=1 is the hot mailbox, where the
 * gateway hands Dovecot one message at a time (src/encryption/mailbox-turns.ts) and plain
 * Postfix does not.
 */
const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? (QUICK ? 10 : 50));
for (const n of [SESSIONS, MESSAGES, MESSAGES_LARGE, WARMUP]) {
  if (!Number.isInteger(n / MAILBOXES) || n < MAILBOXES) {
    throw new Error(`BENCH_MAILBOXES=${MAILBOXES} must divide the sessions and every message count (${n})`);
  }
}
const PASSWORD = 'bench password, long enough';

const DESCRIPTIONS: Record<string, string> = {
  lean: 'lean yardstick: Postfix → Dovecot LMTP',
  plain: 'giroflee plain: Postfix → Dovecot LMTP',
  gateway: 'giroflee: Postfix → encrypting gateway → Dovecot LMTP',
  hop: 'the hop alone: Postfix → gateway passing mail on unencrypted → Dovecot LMTP',
  defence: 'giroflee whole: Postfix + rspamd milter → encrypting gateway → Dovecot LMTP + Sieve',
};

const PARTS = ['postfix', 'dovecot', 'postgres', 'gateway', 'rspamd'] as const;

interface Pipeline {
  name: string;
  mx: number;
  newMailbox(tag: string): Promise<{ address: string; maildirNew: string }>;
  /** Root pids of the process trees whose CPU is attributed to this pipeline. */
  roots(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

interface Sample {
  rate: number;
  seconds: number;
  /** CPU milliseconds per message, by part; `load` is smtp-source, `others` the rest of the machine. */
  cpu: Record<string, number>;
  /** The gateway process's system calls and context switches per message (gateway pipelines). */
  gatewayCalls?: { reads: number; writes: number; switches: number };
}

/** The inbound gateway in its own process, as under `giroflee serve` (bench/encrypt's driver). */
function startGatewayProcess(
  databaseUrl: string,
  nextHopPort: number,
): Promise<{ port: number; child: ChildProcess }> {
  // BENCH_GATEWAY_PROFILE=dir writes a V8 CPU profile of the gateway process there;
  // BENCH_GATEWAY_FLAGS adds Node or V8 flags to it (e.g. "--trace-gc").
  const profile = process.env.BENCH_GATEWAY_PROFILE;
  const child = fork(path.join(__dirname, '..', 'encrypt', 'gateway-process.js'), [], {
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, BENCH_NEXT_HOP_PORT: String(nextHopPort) },
    execArgv: [
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      ...(process.env.BENCH_GATEWAY_FLAGS ?? '').split(' ').filter(Boolean),
    ],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m: { port: number }) => resolve({ port: m.port, child }));
  });
}

function stopGatewayProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

/** Waits until the mailbox's Maildir holds `count` delivered messages. */
async function waitDelivered(maildirNew: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = fs.existsSync(maildirNew) ? fs.readdirSync(maildirNew).length : 0;
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`${n} of ${count} messages delivered in ${maildirNew}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What provisionMailboxKeys needs: the bench's mailboxes get keys as giroflee would make them. */
function keysContext(db: Knex) {
  return {
    db,
    config: loadConfig({ NODE_ENV: 'production' }),
    keyring: new Keyring([Keyring.generateKey()]),
    now: () => new Date(),
  };
}

async function girofleePipeline(
  kind: 'plain' | 'gateway' | 'hop' | 'defence',
  db: Knex,
  databaseUrl: string,
  domain: { id: string; name: string },
  hash: string,
  dnsPort: number | undefined,
): Promise<Pipeline> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `giroflee-bench-inbound-${kind}-`));
  // Every port free: the three pipelines' stacks run side by side. No scanning worker: only the
  // inbound path is measured.
  const ports = { ...(await freeMailstackPorts()), rspamdScan: undefined };
  const gateway = kind !== 'plain' ? await startGatewayProcess(databaseUrl, ports.dovecotLmtp) : undefined;
  const stack = await startMailstack({
    dir,
    databaseUrl,
    ports,
    inboundTransport: gateway ? 'gateway' : 'dovecot',
    gatewayLmtp: gateway && { host: '127.0.0.1', port: gateway.port },
    defence: kind === 'defence' ? { dnsServers: [{ host: '127.0.0.1', port: dnsPort! }] } : undefined,
    hyperscanCache: SHARED_HYPERSCAN_CACHE,
  });
  const p = stack.settings.paths;
  return {
    name: kind,
    mx: ports.mx,
    async newMailbox(tag) {
      const [row] = await db('mailboxes')
        .insert({
          domain_id: domain.id,
          local_part: `${kind}-${tag}`,
          password_hash: hash,
          encryption_mode: kind === 'hop' ? 'none' : 'generated',
          quota_bytes: 2 ** 40,
        })
        .returning(['id', 'address']);
      if (kind !== 'hop') await provisionMailboxKeys(keysContext(db), row, PASSWORD);
      return {
        address: row.address,
        maildirNew: path.join(stack.mailRoot, domain.name, `${kind}-${tag}`, 'Maildir', 'new'),
      };
    },
    roots: () => ({
      postfix: pidFromFile(postfixPidFile(p.postfixQueueDir)),
      dovecot: pidFromFile(dovecotPidFile(p.dovecotBaseDir)),
      gateway: gateway?.child.pid,
      rspamd: kind === 'defence' ? pidFromFile(rspamdPidFile(p.rspamdRunDir!)) : undefined,
    }),
    async stop() {
      await stack.stop();
      if (gateway) await stopGatewayProcess(gateway.child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function leanPipeline(db: Knex, databaseUrl: string): Promise<Pipeline> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-bench-inbound-lean-'));
  const lean = await startLeanStack(db, databaseUrl, dir);
  return {
    name: 'lean',
    mx: lean.mx,
    newMailbox: (tag) => lean.addMailbox(`lean-${tag}`),
    roots: () => ({ postfix: pidFromFile(lean.postfixPidFile), dovecot: pidFromFile(lean.dovecotPidFile) }),
    async stop() {
      await lean.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function measure(
  pipeline: Pipeline,
  c: MessageCase,
  count: number,
  tag: string,
  postgresPid: number | undefined,
): Promise<Sample> {
  const boxes: Array<{ address: string; maildirNew: string }> = [];
  for (let i = 0; i < MAILBOXES; i++) boxes.push(await pipeline.newMailbox(`${tag}-${i}`));
  const senders = await Promise.all(boxes.map((box) => caseSender(c, box.address)));
  const send = (n: number) =>
    Promise.all(senders.map((s) => s(pipeline.mx, n / MAILBOXES, SESSIONS / MAILBOXES)));
  const delivered = (n: number, timeoutMs: number) =>
    Promise.all(boxes.map((box) => waitDelivered(box.maildirNew, n / MAILBOXES, timeoutMs)));
  // Warm-up: connections, caches, the new mailboxes' folders and index files.
  await send(WARMUP);
  await delivered(WARMUP, 300_000);
  const roots = { ...pipeline.roots(), postgres: postgresPid };
  const snapshot = () => ({
    trees: treeCpuSeconds(roots),
    load: reapedChildrenSeconds(),
    bench: ownSeconds(),
    machine: machineBusySeconds(),
  });
  const before = snapshot();
  const gatewayPid = pipeline.roots().gateway;
  const gatewayBefore = gatewayPid ? processCounters(gatewayPid) : undefined;
  const start = process.hrtime.bigint();
  await send(count);
  await delivered(WARMUP + count, 900_000);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const after = snapshot();
  const gatewayAfter = gatewayPid ? processCounters(gatewayPid) : undefined;
  const perMessage = (s: number) => (s * 1000) / count;
  const cpu: Record<string, number> = {};
  let ours = 0;
  for (const name of Object.keys(after.trees)) {
    const used = after.trees[name] - (before.trees[name] ?? 0);
    ours += used;
    cpu[name] = perMessage(used);
  }
  // smtp-source has exited and been reaped by now: its CPU is in this process's children's time.
  const load = after.load - before.load;
  const bench = after.bench - before.bench;
  ours += load + bench;
  cpu.load = perMessage(load);
  cpu.bench = perMessage(bench);
  cpu.others = perMessage(Math.max(0, after.machine - before.machine - ours));
  // The mailboxes are not used again: free the disk for the next measurement.
  for (const box of boxes)
    fs.rmSync(path.dirname(path.dirname(box.maildirNew)), {
      recursive: true,
      force: true,
      // Dovecot may still be writing its index files.
      maxRetries: 10,
      retryDelay: 200,
    });
  const gatewayCalls =
    gatewayBefore && gatewayAfter
      ? {
          reads: (gatewayAfter.reads - gatewayBefore.reads) / count,
          writes: (gatewayAfter.writes - gatewayBefore.writes) / count,
          switches: (gatewayAfter.switches - gatewayBefore.switches) / count,
        }
      : undefined;
  return { rate: count / seconds, seconds, cpu, gatewayCalls };
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function report(
  results: Map<string, Sample[]>,
  pipelines: string[],
  startLoad: string,
  wall: number,
): string {
  const key = (p: string, c: MessageCase) => `${p}/${c.key}`;
  const lines = [
    `bench/inbound — ${machineLine()}`,
    `${QUICK ? 'Quick mode: ' : ''}${ROUNDS} interleaved rounds; per round and pipeline ${MESSAGES} messages at 10 and 100 KB, ` +
      `${MESSAGES_LARGE} at 1 MB (after ${WARMUP} warm-up messages), ${SESSIONS} sessions, ` +
      `spread over ${MAILBOXES} mailbox${MAILBOXES > 1 ? 'es' : ''}, ` +
      `end to end into the Maildir. Load average at start ${startLoad}, at end ${loadAverage()}; ` +
      `${(wall / 60).toFixed(1)} min.`,
    // Say which large message is which: they load a filter very differently.
    'Messages: "text" is smtp-source\'s, one text part of the size; "attachment" is a short text part ' +
      'and a PDF-like binary attachment (base64) making up the size, sent by nodemailer ' +
      "(its CPU counts in the bench process, not in smtp-source's).",
    '',
    'Rate, msg/s: median over rounds (min–max)',
    '',
    `| pipeline | ${CASES.map((c) => c.label).join(' | ')} |`,
    `|---|${CASES.map(() => '---').join('|')}|`,
  ];
  for (const p of pipelines) {
    const cells = CASES.map((c) =>
      spread(
        results.get(key(p, c))!.map((s) => s.rate),
        1,
      ),
    );
    lines.push(`| ${DESCRIPTIONS[p] ?? p} | ${cells.join(' | ')} |`);
  }
  // Each ratio is taken within a round, from the rates of the pipelines it names.
  const ratio = (names: string[], f: (rates: number[]) => number, c: MessageCase) => {
    const runs = names.map((n) => results.get(key(n, c)));
    if (runs.some((r) => !r)) return undefined;
    return spread(
      runs[0]!.map((_, i) => f(runs.map((r) => r![i].rate))),
      2,
    );
  };
  const quotient = (a: string, b: string): [string[], (r: number[]) => number] => [[a, b], ([x, y]) => x / y];
  const ratios: Array<[string, [string[], (r: number[]) => number]]> = [
    ['gateway ÷ plain', quotient('gateway', 'plain')],
    // The hop's own ceiling, and what encrypting costs on top of it.
    ['hop ÷ plain', quotient('hop', 'plain')],
    ['gateway ÷ hop', quotient('gateway', 'hop')],
    ['plain ÷ yardstick', quotient('plain', 'lean')],
    ['gateway ÷ yardstick (whole inbound without the defence)', quotient('gateway', 'lean')],
    ['defence ÷ gateway', quotient('defence', 'gateway')],
    // The mail-defence issue's bound: the rate the defence takes away, as a share of plain's.
    [
      'defence cost: (gateway − defence) ÷ plain',
      [['gateway', 'defence', 'plain'], ([g, d, p]) => (g - d) / p],
    ],
    ['whole inbound (defence on) ÷ yardstick', quotient('defence', 'lean')],
  ];
  lines.push('', 'Ratios within each round: median (min–max)', '');
  lines.push(`| ratio | ${CASES.map((c) => c.label).join(' | ')} |`);
  lines.push(`|---|${CASES.map(() => '---').join('|')}|`);
  for (const [label, [names, f]] of ratios) {
    const cells = CASES.map((c) => ratio(names, f, c));
    if (cells.every((c) => c !== undefined)) lines.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    'CPU per message, ms (median over rounds): Postfix / Dovecot / PostgreSQL / gateway / rspamd = total;',
  );
  lines.push('smtp-source and the rest of the machine (other work on it) apart', '');
  lines.push(`| pipeline | ${CASES.map((c) => c.label).join(' | ')} |`);
  lines.push(`|---|${CASES.map(() => '---').join('|')}|`);
  for (const p of pipelines) {
    const cells = CASES.map((c) => {
      const samples = results.get(key(p, c))!;
      const part = (name: string) => median(samples.map((s) => s.cpu[name] ?? 0));
      const parts = PARTS.filter((n) => samples.some((s) => n in s.cpu));
      const total = median(samples.map((s) => parts.reduce((t, n) => t + (s.cpu[n] ?? 0), 0)));
      return (
        `${parts.map((n) => part(n).toFixed(2)).join(' / ')} = **${total.toFixed(2)}**` +
        ` (smtp-source ${part('load').toFixed(2)}, others ${part('others').toFixed(2)})`
      );
    });
    lines.push(`| ${p} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

/**
 * A throw-away embedded PostgreSQL, migrated, that takes connections from every stack at once:
 * each Postfix process holds its own connection per map, and all pipelines stay up together.
 */
async function startBenchPostgres(dir: string) {
  const first = await startEmbeddedPostgres(dir);
  const port = Number(new URL(first.url).port);
  const db = createDb(first.url, { min: 1, max: 1 });
  await migrateLatest(db);
  await db.raw('ALTER SYSTEM SET max_connections = 400');
  await db.destroy();
  await first.stop();
  return startEmbeddedPostgres(dir, { port });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: Postfix and Dovecot are started by the bench');
  const started = Date.now();
  const startLoad = loadAverage();
  let databaseUrl = process.env.DATABASE_URL;
  const { dir: pgDir, clusterDir } = temporaryClusterDir('giroflee-bench-pg-');
  const pg = databaseUrl ? undefined : await startBenchPostgres(clusterDir);
  const postgresPid = pg ? pidFromFile(path.join(pg.dir, 'postmaster.pid')) : undefined;
  databaseUrl ??= pg!.url;
  const db = createDb(databaseUrl, { min: 1, max: 4 });
  const pipelines: Pipeline[] = [];
  let dns: ZoneServer | undefined;
  const cleanUp = async () => {
    for (const p of pipelines.splice(0)) await p.stop().catch((e) => process.stderr.write(`${e}\n`));
    await dns?.stop();
    await db.destroy();
    await pg?.stop();
    fs.rmSync(pgDir, { recursive: true, force: true });
  };
  // Interrupted, the bench still stops every Postfix, Dovecot and PostgreSQL it started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  try {
    if (!pg) await migrateLatest(db);
    const [collective] = await db('collectives')
      .insert({ slug: `bench-${Date.now()}`, name: 'bench' })
      .returning('id');
    const [domain] = await db('domains')
      .insert({
        name: `inbound-${Date.now()}.bench.example`,
        collective_id: collective.id,
        status: 'active',
        verification_token: 'bench',
      })
      .returning(['id', 'name']);
    const hash = await hashPassword(PASSWORD);
    if (PIPELINES.includes('defence')) dns = await startSenderDns((await freeLoopbackPorts(1))[0]);
    for (const name of PIPELINES) {
      if (name === 'lean') pipelines.push(await leanPipeline(db, databaseUrl));
      else if (name === 'plain' || name === 'gateway' || name === 'hop' || name === 'defence')
        pipelines.push(await girofleePipeline(name, db, databaseUrl, domain, hash, dns?.port));
      else throw new Error(`unknown pipeline ${name}`);
    }
    const results = new Map<string, Sample[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CASES) {
        const count = c.kb >= 1024 ? MESSAGES_LARGE : MESSAGES;
        // Rotate the order so that no pipeline always runs first (or right after another).
        const order = pipelines.map((_, i) => pipelines[(i + round) % pipelines.length]);
        for (const p of order) {
          const sample = await measure(p, c, count, `r${round}-${c.key}`, postgresPid);
          const key = `${p.name}/${c.key}`;
          results.set(key, [...(results.get(key) ?? []), sample]);
          const cpu = Object.entries(sample.cpu)
            .map(([n, v]) => `${n} ${v.toFixed(2)}`)
            .join(', ');
          const calls = sample.gatewayCalls
            ? `; gateway per msg: ${sample.gatewayCalls.reads.toFixed(1)} reads, ${sample.gatewayCalls.writes.toFixed(1)} writes, ` +
              `${sample.gatewayCalls.switches.toFixed(1)} context switches`
            : '';
          process.stderr.write(
            `round ${round + 1} ${p.name} ${c.label}: ${sample.rate.toFixed(1)} msg/s; CPU ms/msg ${cpu}${calls}; load ${loadAverage()}\n`,
          );
        }
      }
    }
    process.stdout.write(report(results, PIPELINES, startLoad, (Date.now() - started) / 1000));
  } finally {
    await cleanUp();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
