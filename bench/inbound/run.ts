/**
 * bench/inbound: end-to-end delivery rate into the Maildir, Postfix's smtp-source sending N
 * messages over 10 sessions to the MX, for 10 KB and 100 KB, through (a) the encrypting gateway
 * (Postfix → gateway → Dovecot LMTP, mailbox with a generated key) and (b) Postfix straight to
 * Dovecot's LMTP, in the same run; the ratio a/b is the figure (goal ≥ 0.85 at 10 KB).
 * Run as root: `npm run build && node dist/bench/inbound/run.js` (BENCH_MESSAGES=2000 by
 * default). Uses DATABASE_URL when set, else a throw-away embedded PostgreSQL.
 */
import { ChildProcess, fork, spawn } from 'node:child_process';
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
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import { startMailstack } from '../../src/mailstack/start-mailstack';
import { machineLine } from '../lib/stats';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const SESSIONS = 10;
const SIZES = [10 * 1024, 100 * 1024];
const WARMUP = 50;
const PASSWORD = 'bench password, long enough';

type Pipeline = 'gateway' | 'dovecot';

/** The inbound gateway in its own process, as under `giroflee serve` (bench/encrypt's driver). */
function startGatewayProcess(
  databaseUrl: string,
  nextHopPort: number,
): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(path.join(__dirname, '..', 'encrypt', 'gateway-process.js'), [], {
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, BENCH_NEXT_HOP_PORT: String(nextHopPort) },
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

function smtpSource(
  mxPort: number,
  to: string,
  count: number,
  size: number,
  sessions: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'smtp-source',
      [
        '-s',
        String(sessions),
        '-m',
        String(count),
        '-l',
        String(size),
        '-f',
        'bench@remote.example',
        '-t',
        to,
        '-M',
        'bench.remote.example',
        `127.0.0.1:${mxPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`smtp-source exited ${code}`))));
  });
}

/** Waits until the mailbox's Maildir holds `count` delivered messages. */
async function waitDelivered(maildirNew: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = fs.existsSync(maildirNew) ? fs.readdirSync(maildirNew).length : 0;
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`${n} of ${count} messages delivered in ${maildirNew}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function newMailbox(db: Knex, domainId: string, localPart: string, hash: string) {
  const [row] = await db('mailboxes')
    .insert({
      domain_id: domainId,
      local_part: localPart,
      password_hash: hash,
      encryption_mode: 'generated',
      quota_bytes: 2 ** 40,
    })
    .returning(['id', 'address']);
  const ctx = {
    db,
    config: loadConfig({ NODE_ENV: 'production' }),
    keyring: new Keyring([Keyring.generateKey()]),
    now: () => new Date(),
  };
  await provisionMailboxKeys(ctx, row, PASSWORD);
  return row as { id: string; address: string };
}

async function measure(
  pipeline: Pipeline,
  databaseUrl: string,
  db: Knex,
  domain: { id: string; name: string },
  hash: string,
): Promise<Record<number, number>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `giroflee-bench-inbound-${pipeline}-`));
  const [mx, submission, imap, dovecotLmtp, auth, quotaStatus, reinject] = await freeLoopbackPorts(7);
  const gateway = pipeline === 'gateway' ? await startGatewayProcess(databaseUrl, dovecotLmtp) : undefined;
  const stack = await startMailstack({
    dir,
    databaseUrl,
    ports: { mx, submission, imap, dovecotLmtp, auth, quotaStatus, reinject },
    inboundTransport: pipeline,
    gatewayLmtp: gateway && { host: '127.0.0.1', port: gateway.port },
  });
  const rates: Record<number, number> = {};
  try {
    for (const size of SIZES) {
      const box = await newMailbox(db, domain.id, `${pipeline}-${size}`, hash);
      const maildirNew = path.join(stack.mailRoot, domain.name, box.address.split('@')[0], 'Maildir', 'new');
      // Warm-up: connections, caches, Dovecot's index files.
      await smtpSource(mx, box.address, WARMUP, size, SESSIONS);
      await waitDelivered(maildirNew, WARMUP, 120_000);
      const start = process.hrtime.bigint();
      await smtpSource(mx, box.address, MESSAGES, size, SESSIONS);
      await waitDelivered(maildirNew, WARMUP + MESSAGES, 600_000);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      rates[size] = MESSAGES / seconds;
      process.stderr.write(`${pipeline} ${size / 1024} KB: ${rates[size].toFixed(1)} msg/s\n`);
    }
  } finally {
    await stack.stop();
    if (gateway) await stopGatewayProcess(gateway.child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rates;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: Postfix and Dovecot are started by the bench');
  let databaseUrl = process.env.DATABASE_URL;
  const { dir: pgDir, clusterDir } = temporaryClusterDir('giroflee-bench-pg-');
  const pg = databaseUrl ? undefined : await startEmbeddedPostgres(clusterDir);
  databaseUrl ??= pg!.url;
  const db = createDb(databaseUrl, { min: 1, max: 4 });
  try {
    await migrateLatest(db);
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
    const direct = await measure('dovecot', databaseUrl, db, domain, hash);
    const gateway = await measure('gateway', databaseUrl, db, domain, hash);
    const lines = [
      `bench/inbound — ${machineLine()}`,
      `${MESSAGES} messages per size, ${SESSIONS} smtp-source sessions, end-to-end into the Maildir`,
      '',
      '| pipeline | 10 KB | 100 KB |',
      '|---|---|---|',
      `| (b) Postfix → Dovecot LMTP | ${direct[SIZES[0]].toFixed(1)} msg/s | ${direct[SIZES[1]].toFixed(1)} msg/s |`,
      `| (a) Postfix → encrypting gateway → Dovecot LMTP | ${gateway[SIZES[0]].toFixed(1)} msg/s | ${gateway[SIZES[1]].toFixed(1)} msg/s |`,
      `| ratio a/b | ${(gateway[SIZES[0]] / direct[SIZES[0]]).toFixed(2)} | ${(gateway[SIZES[1]] / direct[SIZES[1]]).toFixed(2)} |`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await db.destroy();
    await pg?.stop();
    fs.rmSync(pgDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
