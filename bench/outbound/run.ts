/**
 * bench/outbound, three parts, one Postfix `smtp-sink` standing in for the relay throughout:
 * 1. The whole outbound path against Postfix alone, in interleaved rounds (BENCH_ROUNDS, 3):
 *    `smtp-source` (10 sessions) → Postfix → the sink, and `smtp-source` → Postfix →
 *    content_filter → the outbound gateway as `giroflee serve` runs it (relays and signing keys
 *    read from PostgreSQL through the cached lookups, DKIM-signed with the domain's key) → the
 *    same sink; a message counts once Postfix's queue is empty. Rates per round, the ratio
 *    gateway ÷ Postfix within each round, median and spread over rounds.
 * 2. The gateway alone, fed by `smtp-source` as Postfix's content_filter would feed it, with no
 *    DKIM signature, one RSA-2048 signature, and RSA + Ed25519 (keys in memory): what signing costs.
 * 3. The gateway's peak memory while relaying one 50 MB message.
 * Run as root (part 1 starts Postfix and an embedded PostgreSQL):
 * `npm run build && node dist/bench/outbound/run.js`.
 */
import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { loadConfig } from '../../src/config';
import type { AppContext } from '../../src/context';
import { startEmbeddedPostgres, temporaryClusterDir } from '../../src/db/embedded';
import { createDb, migrateLatest } from '../../src/db/knex';
import { ensureDomainDkimKey } from '../../src/dns/dkim-keys';
import { Keyring } from '../../src/encryption/master-key';
import { CircuitBreakers } from '../../src/relay/circuit-breaker';
import { outboundLookups } from '../../src/relay/components';
import { closedSender } from '../../src/sending/sending-limits';
import type { SigningKey } from '../../src/relay/dkim-sign-message';
import { startOutboundGateway } from '../../src/relay/outbound-gateway';
import { createRelaySchema } from '../../src/relay/relay-input';
import { insertRelay } from '../../src/relay/relays';
import { RelayTransports, type RelayTarget } from '../../src/relay/relay-transport';
import { pidFromFile, treeCpuSeconds } from '../lib/cpu';
import { machineLine, median, spread } from '../lib/stats';
import { startOutboundPostfix } from './outbound-postfix';

const run = promisify(execFile);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = 50;
const SESSIONS = 10;
const SIZES = [10 * 1024, 100 * 1024];
const FROM = 'alice@hosted.example';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

function keysFor(mode: string): SigningKey[] {
  const pem = (k: crypto.KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ed = crypto.generateKeyPairSync('ed25519').privateKey;
  const keys: SigningKey[] = [];
  if (mode !== 'unsigned')
    keys.push({ domain: 'hosted.example', selector: 'b1', algorithm: 'rsa-sha256', privateKeyPem: pem(rsa) });
  if (mode === 'rsa+ed25519')
    keys.push({
      domain: 'hosted.example',
      selector: 'b1e',
      algorithm: 'ed25519-sha256',
      privateKeyPem: pem(ed),
    });
  return keys;
}

async function withGateway<T>(
  sinkPort: number,
  keys: SigningKey[],
  fn: (port: number, signed: () => number) => Promise<T>,
) {
  let signed = 0;
  const transports = new RelayTransports({
    reinject: { host: '127.0.0.1', port: sinkPort },
    heloName: 'bench.giroflee.test',
    connectionTimeoutMs: 10_000,
    greetingTimeoutMs: 10_000,
    socketTimeoutMs: 60_000,
  });
  const sink: RelayTarget = {
    id: 'sink',
    name: 'sink',
    kind: 'smarthost',
    host: '127.0.0.1',
    port: sinkPort,
    tlsMode: 'none',
    username: null,
    version: '1',
  };
  const gateway = await startOutboundGateway({
    listen: { host: '127.0.0.1', port: 0 },
    loadRelays: async () => [sink],
    signingKeys: async (domain) => {
      if (domain !== 'hosted.example') return [];
      if (keys.length) signed += 1;
      return keys;
    },
    // smtp-source writes the envelope sender (-f) as the From: the guard never needs to ask.
    sameSenderOwner: async () => false,
    send: (relay, envelope, message) => transports.send(relay, envelope, message),
    breakers: new CircuitBreakers({ failureThreshold: 1000, coolDownMs: 1000, now: () => new Date() }),
    now: () => new Date(),
    hostname: 'bench.giroflee.test',
    maxMessageBytes: 80 * 1024 * 1024,
  });
  try {
    return await fn(gateway.port, () => signed);
  } finally {
    await gateway.stop();
    transports.close();
  }
}

/** Postfix's smtp-source: `count` messages of `size` bytes from `from`, over SESSIONS sessions. */
async function smtpSource(port: number, count: number, size: number, from = FROM): Promise<void> {
  await run('smtp-source', [
    '-s',
    String(SESSIONS),
    '-m',
    String(count),
    '-l',
    String(size),
    '-d',
    '-f',
    from,
    '-t',
    'bob@remote.example',
    '-M',
    'bench.giroflee.test',
    `127.0.0.1:${port}`,
  ]);
}

/** smtp-source → gateway → smtp-sink; messages per second and gateway CPU ms per message. */
async function measure(sinkPort: number, mode: string, size: number) {
  return withGateway(sinkPort, keysFor(mode), async (port, signed) => {
    const cpu = process.cpuUsage();
    const t = process.hrtime.bigint();
    await smtpSource(port, MESSAGES, size);
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    const used = process.cpuUsage(cpu);
    if (mode !== 'unsigned' && signed() !== MESSAGES)
      throw new Error(`${mode}: signed ${signed()} of ${MESSAGES}`);
    return { rate: MESSAGES / seconds, cpuMs: (used.user + used.system) / 1000 / MESSAGES };
  });
}

/** Peak RSS growth of this process (the gateway) while relaying one message of `bytes`. */
async function peakMemory(sinkPort: number, bytes: number): Promise<number> {
  // The message is streamed from a file, so the sending side holds almost none of it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-bench-outbound-'));
  const file = path.join(dir, 'big.eml');
  const out = fs.createWriteStream(file);
  out.write(`From: ${FROM}\r\nTo: bob@remote.example\r\nSubject: big\r\n\r\n`);
  const block = ('x'.repeat(76) + '\r\n').repeat(1000);
  for (let written = 0; written < bytes; written += block.length) {
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  const size = fs.statSync(file).size;
  try {
    return await withGateway(sinkPort, keysFor('rsa'), async (port) => {
      const base = process.memoryUsage().rss;
      let peak = base;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
      const client = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
      try {
        await client.sendMail({
          envelope: { from: FROM, to: ['bob@remote.example'] },
          raw: fs.createReadStream(file),
        });
      } finally {
        client.close();
        clearInterval(sampler);
      }
      return (peak - base) / size;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Part 1: Postfix → sink against Postfix → outbound gateway → sink, interleaved rounds. The
 * gateway runs in this process, reading PostgreSQL as in production; this process does little
 * else while smtp-source runs, so its CPU is the gateway's.
 */
async function comparePaths(sinkPort: number, say: (l: string) => void): Promise<void> {
  const { dir, clusterDir } = temporaryClusterDir('giroflee-bench-outbound-');
  const pg = await startEmbeddedPostgres(clusterDir);
  const db = createDb(pg.url, { min: 1, max: 4 });
  const ctx: AppContext = {
    db,
    config: loadConfig({ NODE_ENV: 'production' }),
    keyring: new Keyring([Keyring.generateKey()]),
    now: () => new Date(),
  };
  const transports = new RelayTransports({
    reinject: { host: '127.0.0.1', port: sinkPort },
    heloName: 'bench.giroflee.test',
    connectionTimeoutMs: ctx.config.relay.timeoutMs,
    greetingTimeoutMs: ctx.config.relay.timeoutMs,
    socketTimeoutMs: 4 * ctx.config.relay.timeoutMs,
  });
  let gateway: Awaited<ReturnType<typeof startOutboundGateway>> | undefined;
  let postfix: Awaited<ReturnType<typeof startOutboundPostfix>> | undefined;
  try {
    await migrateLatest(db);
    const [collective] = await db('collectives').insert({ slug: 'bench', name: 'bench' }).returning('id');
    const [domain] = await db('domains')
      .insert({
        name: 'hosted.example',
        collective_id: collective.id,
        status: 'active',
        verification_token: 'b',
      })
      .returning(['id', 'name']);
    await ensureDomainDkimKey(ctx, domain.id);
    const relay = { kind: 'smarthost', name: 'sink', host: '127.0.0.1', port: sinkPort, tlsMode: 'none' };
    await insertRelay(ctx, createRelaySchema.parse(relay));
    const lookups = outboundLookups(ctx);
    let signedFor = 0;
    gateway = await startOutboundGateway({
      listen: { host: '127.0.0.1', port: 0 },
      loadRelays: lookups.loadRelays,
      signingKeys: async (name) => {
        const keys = await lookups.signingKeys(name);
        if (keys.length) signedFor += 1;
        return keys;
      },
      // As `giroflee serve` asks it: one query per message (a suspension applies at once).
      closedSender: (addresses) => closedSender(ctx, addresses),
      // smtp-source writes the envelope sender (-f) as the From: the guard never needs to ask.
      sameSenderOwner: async () => false,
      send: (target, envelope, message) => transports.send(target, envelope, message),
      breakers: new CircuitBreakers({
        failureThreshold: ctx.config.relay.breakerFailures,
        coolDownMs: ctx.config.relay.breakerCoolDownMs,
        now: ctx.now,
      }),
      now: ctx.now,
      hostname: 'bench.giroflee.test',
      maxMessageBytes: ctx.config.relay.maxMessageBytes,
    });
    postfix = await startOutboundPostfix(path.join(dir, 'mta'), sinkPort, gateway.port);
    const pf = postfix;
    const paths = { postfix: pf.direct, gateway: pf.filtered } as const;
    const delivered = async (count: number, from: number) => {
      while (pf.sent() - from < count) await new Promise((r) => setTimeout(r, 20));
    };
    const sample = async (port: number, size: number) => {
      const postfixPid = pidFromFile(pf.postfixPidFile);
      const before = { own: process.cpuUsage(), tree: treeCpuSeconds({ postfix: postfixPid }).postfix ?? 0 };
      const sentBefore = pf.sent();
      const t = process.hrtime.bigint();
      await smtpSource(port, MESSAGES, size);
      await delivered(MESSAGES, sentBefore);
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      const own = process.cpuUsage(before.own);
      const tree = (treeCpuSeconds({ postfix: postfixPid }).postfix ?? 0) - before.tree;
      return {
        rate: MESSAGES / seconds,
        gatewayMs: (own.user + own.system) / 1000 / MESSAGES,
        postfixMs: (tree * 1000) / MESSAGES,
      };
    };
    for (const port of Object.values(paths)) {
      const sentBefore = pf.sent();
      await smtpSource(port, WARMUP, 10 * 1024, `alice@${domain.name}`);
      await delivered(WARMUP, sentBefore);
    }
    const results = new Map<
      string,
      Array<Record<string, { rate: number; gatewayMs: number; postfixMs: number }>>
    >();
    for (let round = 0; round < ROUNDS; round++) {
      for (const size of SIZES) {
        const order = round % 2 ? (['gateway', 'postfix'] as const) : (['postfix', 'gateway'] as const);
        const got: Record<string, { rate: number; gatewayMs: number; postfixMs: number }> = {};
        for (const name of order) {
          const signedBefore = signedFor;
          got[name] = await sample(paths[name], size);
          if (name === 'gateway' && signedFor - signedBefore !== MESSAGES)
            throw new Error(`the gateway signed ${signedFor - signedBefore} of ${MESSAGES}`);
          process.stderr.write(
            `round ${round + 1} ${name} ${size / 1024} KB: ${got[name].rate.toFixed(0)} msg/s, load ${os.loadavg()[0].toFixed(2)}\n`,
          );
        }
        const key = String(size);
        results.set(key, [...(results.get(key) ?? []), got]);
      }
    }
    say(
      `${ROUNDS} interleaved rounds of ${MESSAGES} messages per path and size, smtp-source with ${SESSIONS} sessions; ` +
        `load average at the end ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}.`,
    );
    say('');
    say(
      '| payload | Postfix → sink msg/s | Postfix → gateway → sink msg/s | ratio gateway ÷ Postfix | CPU ms/msg: Postfix (direct / via gateway), gateway |',
    );
    say('|---|---|---|---|---|');
    for (const size of SIZES) {
      const rounds = results.get(String(size))!;
      const of = (name: string, f: 'rate' | 'gatewayMs' | 'postfixMs') => rounds.map((r) => r[name][f]);
      say(
        `| ${size / 1024} KB | ${spread(of('postfix', 'rate'), 0)} | ${spread(of('gateway', 'rate'), 0)} | ` +
          `${spread(
            rounds.map((r) => r.gateway.rate / r.postfix.rate),
            2,
          )} | ${median(of('postfix', 'postfixMs')).toFixed(2)} / ${median(of('gateway', 'postfixMs')).toFixed(2)}, ` +
          `${median(of('gateway', 'gatewayMs')).toFixed(2)} |`,
      );
    }
  } finally {
    await postfix?.stop();
    await gateway?.stop();
    transports.close();
    await db.destroy();
    await pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sinkPort = await freePort();
  // smtp-sink: Postfix's test SMTP server that accepts and discards (the remote relay).
  const sink = spawn('smtp-sink', ['-u', 'nobody', `127.0.0.1:${sinkPort}`, '256'], { stdio: 'ignore' });
  const lines: string[] = [];
  const say = (l: string) => {
    lines.push(l);
    process.stdout.write(l + '\n');
  };
  try {
    await waitForPort(sinkPort);
    say(`Measured ${machineLine()}.`);
    say('');
    if (process.getuid?.() === 0) await comparePaths(sinkPort, say);
    else say('Not root: Postfix → sink against Postfix → gateway → sink skipped (it starts Postfix).');
    say('');
    await measure(sinkPort, 'unsigned', 10 * 1024); // warm-up: JIT, connection pools
    say(`${MESSAGES} messages per case, smtp-source with ${SESSIONS} sessions → gateway → smtp-sink.`);
    say('');
    say(
      '| payload | unsigned msg/s | RSA msg/s (ratio) | RSA + Ed25519 msg/s (ratio) | gateway CPU ms/msg (unsigned / RSA / both) |',
    );
    say('|---|---|---|---|---|');
    for (const size of SIZES) {
      const u = await measure(sinkPort, 'unsigned', size);
      const r = await measure(sinkPort, 'rsa', size);
      const b = await measure(sinkPort, 'rsa+ed25519', size);
      say(
        `| ${size / 1024} KB | ${u.rate.toFixed(0)} | ${r.rate.toFixed(0)} (${(r.rate / u.rate).toFixed(2)}) | ${b.rate.toFixed(0)} (${(b.rate / u.rate).toFixed(2)}) | ${u.cpuMs.toFixed(2)} / ${r.cpuMs.toFixed(2)} / ${b.cpuMs.toFixed(2)} |`,
      );
    }
    const growth = await peakMemory(sinkPort, 50 * 1024 * 1024);
    say('');
    say(
      `Gateway memory on one 50 MB message (RSA-signed): peak RSS growth ≈ ${growth.toFixed(2)} × the message size.`,
    );
  } finally {
    sink.kill();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exitCode = 1;
});
