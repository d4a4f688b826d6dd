/**
 * bench/outbound: the outbound gateway's rate into Postfix's `smtp-sink` standing in for a
 * relay, fed by Postfix's `smtp-source` (10 sessions) as Postfix's content_filter would feed it,
 * with no DKIM signature, one RSA-2048 signature, and RSA + Ed25519; ratios from one run. Then
 * the gateway's peak memory while relaying one 50 MB message.
 * Run: `npm run build && node dist/bench/outbound/run.js` (needs postfix installed).
 */
import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { CircuitBreakers } from '../../src/relay/circuit-breaker';
import type { SigningKey } from '../../src/relay/dkim-sign-message';
import { startOutboundGateway } from '../../src/relay/outbound-gateway';
import { RelayTransports, type RelayTarget } from '../../src/relay/relay-transport';
import { machineLine } from '../lib/stats';

const run = promisify(execFile);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
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

/** smtp-source → gateway → smtp-sink; messages per second and gateway CPU ms per message. */
async function measure(sinkPort: number, mode: string, size: number) {
  return withGateway(sinkPort, keysFor(mode), async (port, signed) => {
    const cpu = process.cpuUsage();
    const t = process.hrtime.bigint();
    await run('smtp-source', [
      '-s',
      String(SESSIONS),
      '-m',
      String(MESSAGES),
      '-l',
      String(size),
      '-d',
      '-f',
      FROM,
      '-t',
      'bob@remote.example',
      '-M',
      'bench.giroflee.test',
      `127.0.0.1:${port}`,
    ]);
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
    await measure(sinkPort, 'unsigned', 10 * 1024); // warm-up: JIT, connection pools
    say(`Measured ${machineLine()}.`);
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
