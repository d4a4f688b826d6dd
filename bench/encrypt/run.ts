/**
 * bench/encrypt: in-process PGP/MIME encryption rate for 10 KB, 100 KB and 1 MB messages
 * (armored, as stored, and binary OpenPGP for comparison); the inbound gateway's LMTP throughput
 * against a fast local downstream; the gateway's peak memory on a 50 MB message.
 * Run: `npm run build && node dist/bench/encrypt/run.js`. Uses DATABASE_URL when set, else a
 * throw-away embedded PostgreSQL.
 */
import { fork, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { hashPassword } from '../../src/auth/password-hash';
import { startEmbeddedPostgres, temporaryClusterDir } from '../../src/db/embedded';
import { loadConfig } from '../../src/config';
import { createDb, migrateLatest } from '../../src/db/knex';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { Keyring } from '../../src/encryption/master-key';
import { encryptMessage } from '../../src/encryption/pgp-mime';
import { machineLine } from '../lib/stats';
import { startDiscardingLmtp } from './discarding-lmtp';

// BENCH_PARTS=rates,gateway,memory (default: all) runs some of the three parts.
const PARTS = new Set((process.env.BENCH_PARTS ?? 'rates,gateway,memory').split(','));
// The gateway part's messages; 1 MB and more take the streamed path. BENCH_GATEWAY_SIZES picks.
const GATEWAY_CASES = [
  ['10 KB', 10 * 1024, 2000],
  ['100 KB', 100 * 1024, 1000],
  ['1 MB', 1024 * 1024, 200],
] as const;
const GATEWAY_SIZES = (process.env.BENCH_GATEWAY_SIZES ?? '10 KB,100 KB,1 MB').split(',');
// BENCH_GATEWAY_SCALE=0.5 sends half as many messages of each size.
const GATEWAY_SCALE = Number(process.env.BENCH_GATEWAY_SCALE ?? 1);
// BENCH_DOWNSTREAM_CHUNKING=0: the next hop does not offer CHUNKING, so the gateway sends DATA.
const DOWNSTREAM_CHUNKING = process.env.BENCH_DOWNSTREAM_CHUNKING !== '0';

/** A received message of about `size` bytes: headers, then 76-character text lines. */
function message(size: number): Buffer {
  const head = [
    'Received: from mx.example.net by mx.giroflee.test; Sat, 21 Nov 2026 10:00:00 +0000',
    'From: Alice <alice@example.net>',
    'To: bench@bench.example',
    'Subject: bench',
    'Date: Sat, 21 Nov 2026 10:00:00 +0000',
    'Message-ID: <bench@example.net>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    '',
  ].join('\r\n');
  const line = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tem\r\n';
  return Buffer.concat([
    Buffer.from(head),
    Buffer.from(line.repeat(Math.ceil((size - head.length) / line.length))),
  ]);
}

async function rate(seconds: number, fn: () => Promise<unknown>): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  const t = process.hrtime.bigint();
  while (Date.now() < end || n < 5) {
    await fn();
    n++;
  }
  return n / (Number(process.hrtime.bigint() - t) / 1e9);
}

function startGateway(
  databaseUrl: string,
  nextHop: number,
): Promise<{ child: ChildProcess; port: number; rss: number }> {
  // BENCH_GATEWAY_PROFILE=dir writes a V8 CPU profile of the gateway process there.
  const profile = process.env.BENCH_GATEWAY_PROFILE;
  const child = fork(path.join(__dirname, 'gateway-process.js'), {
    execArgv: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [],
    env: {
      ...process.env,
      BENCH_DATABASE_URL: databaseUrl,
      BENCH_NEXT_HOP_PORT: String(nextHop),
      LOG_LEVEL: 'warn',
    },
  });
  return new Promise((resolve) =>
    child.once('message', (m: { port: number; rss: number }) => resolve({ child, ...m })),
  );
}

const ask = <T>(child: ChildProcess, what: string) =>
  new Promise<T>((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(what);
  });

async function stopGateway(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

/** `sessions` LMTP clients, each with one persistent connection, `perSession` messages each. */
async function throughput(port: number, raw: Buffer, to: string, sessions: number, perSession: number) {
  const t = process.hrtime.bigint();
  let failed = 0;
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      const conn = new SMTPConnection({
        host: '127.0.0.1',
        port,
        lmtp: true,
        ignoreTLS: true,
        logger: false,
      });
      await new Promise<void>((resolve, reject) => conn.connect((e) => (e ? reject(e) : resolve())));
      for (let i = 0; i < perSession; i++) {
        await new Promise<void>((resolve) =>
          conn.send({ from: 'alice@example.net', to: [to], size: raw.length }, raw, (e, info) => {
            if (e || info.rejected.length) failed++;
            resolve();
          }),
        );
      }
      conn.quit();
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  return { perSecond: (sessions * perSession) / seconds, failed };
}

async function main(): Promise<void> {
  const { dir, clusterDir } = temporaryClusterDir('giroflee-bench-encrypt-');
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres(clusterDir);
  const url = process.env.DATABASE_URL ?? embedded!.url;
  const db = createDb(url, { min: 1, max: 4 });
  const lines: string[] = [];
  const say = (l: string) => {
    lines.push(l);
    process.stdout.write(l + '\n');
  };
  try {
    await migrateLatest(db);
    const [c] = await db('collectives').insert({ slug: 'bench', name: 'Bench' }).returning('id');
    const [d] = await db('domains')
      .insert({ name: 'bench.example', collective_id: c.id, status: 'active', verification_token: 'x' })
      .returning('id');
    const [m] = await db('mailboxes')
      .insert({
        domain_id: d.id,
        local_part: 'bench',
        password_hash: await hashPassword('bench password 2026'),
      })
      .returning(['id', 'address']);
    await provisionMailboxKeys(
      {
        db,
        config: loadConfig({ NODE_ENV: 'production' }),
        keyring: new Keyring([Keyring.generateKey()]),
        now: () => new Date(),
      },
      m,
      'bench password 2026',
    );
    const { public_key } = await db('mailbox_keys').where({ mailbox_id: m.id }).first('public_key');
    const key = await openpgp.readKey({ armoredKey: public_key });

    say('## Encryption (bench/encrypt)');
    say('');
    say(`Run: ${machineLine()}. One classic v4 cv25519 key (as generated for mailboxes).`);
    say('');
    say(
      'In-process, one core, PGP/MIME as stored (armored, RFC 3156) and raw binary OpenPGP of the same message:',
    );
    say('');
    say('| message | PGP/MIME armored msg/s | binary OpenPGP msg/s |');
    say('|---|---|---|');
    for (const [label, size] of PARTS.has('rates')
      ? ([
          ['10 KB', 10 * 1024],
          ['100 KB', 100 * 1024],
          ['1 MB', 1024 * 1024],
        ] as const)
      : []) {
      const raw = message(size);
      const armored = await rate(2, () => encryptMessage(raw, [key]));
      const binary = await rate(2, async () =>
        openpgp.encrypt({
          message: await openpgp.createMessage({ binary: raw }),
          encryptionKeys: key,
          format: 'binary',
        }),
      );
      say(`| ${label} | ${armored.toFixed(0)} | ${binary.toFixed(0)} |`);
    }

    const downstream = await startDiscardingLmtp(DOWNSTREAM_CHUNKING);
    const gw = await startGateway(url, downstream.port);
    say('');
    say(
      'Gateway LMTP throughput (gateway in its own process; 10 client sessions with persistent connections and the',
    );
    say('discarding downstream LMTP share the other core):');
    say('');
    say('| message | messages | msg/s | gateway CPU ms/msg | failed |');
    say('|---|---|---|---|---|');
    for (const [label, size, count] of PARTS.has('gateway')
      ? GATEWAY_CASES.filter(([label]) => GATEWAY_SIZES.includes(label)).map(
          ([label, size, n]) =>
            [label, size, Math.max(10, Math.round((n * GATEWAY_SCALE) / 10) * 10)] as const,
        )
      : []) {
      await throughput(gw.port, message(size), m.address, 2, 10);
      const before = await ask<{ cpuMs: number }>(gw.child, 'cpu');
      const r = await throughput(gw.port, message(size), m.address, 10, count / 10);
      const after = await ask<{ cpuMs: number }>(gw.child, 'cpu');
      const cpu = (after.cpuMs - before.cpuMs) / count;
      say(`| ${label} | ${count} | ${r.perSecond.toFixed(0)} | ${cpu.toFixed(2)} | ${r.failed} |`);
    }
    await stopGateway(gw.child);

    if (!PARTS.has('memory')) return await downstream.close();
    const fresh = await startGateway(url, downstream.port);
    const big = message(50 * 1024 * 1024);
    await throughput(fresh.port, message(10 * 1024), m.address, 1, 3);
    const before = await ask<{ rss: number; maxRss: number }>(fresh.child, 'memory');
    const r = await throughput(fresh.port, big, m.address, 1, 1);
    const after = await ask<{ rss: number; maxRss: number }>(fresh.child, 'memory');
    await stopGateway(fresh.child);
    const mb = (n: number) => (n / 2 ** 20).toFixed(0);
    say('');
    say(
      `Peak memory, one 50 MB message through the gateway (${r.failed ? 'FAILED' : 'delivered'}): resident ${mb(before.rss)} MB before, ` +
        `peak ${mb(after.maxRss)} MB, so ${mb(after.maxRss - before.rss)} MB for the message ` +
        `(${((after.maxRss - before.rss) / big.length).toFixed(2)}× its size; goal < 1.5×).`,
    );
    await downstream.close();
    const results = path.join(__dirname, '..', '..', '..', 'bench', 'RESULTS.md');
    process.stdout.write(`\n(append the section above to ${results})\n`);
  } finally {
    await db.destroy();
    await embedded?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exitCode = 1;
});
