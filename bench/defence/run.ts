/**
 * bench/defence: rspamd's CPU per message, the part of the inbound defence that grows with the
 * message. It starts the private stack's rspamd alone (the configuration render-rspamd.ts
 * writes, its fuzzy storage and a loopback DNS server for the sender's SPF and DMARC), feeds it
 * bench/inbound's messages (smtp-source's, captured once per size) through its HTTP `/checkv2`,
 * which runs the same scan as the milter path, and reads the CPU of rspamd's process tree from
 * /proc before and after: a figure that depends little on what else the machine runs, unlike a
 * rate. Each reply is checked for what the defence must still produce (no reject, the
 * authentication results, the digests), so a lever that loses a feature shows.
 *
 * One command, as root:  npm run bench:defence
 * Settings (environment): BENCH_SIZES_KB (10,100,1024,1024a; `1024a` is 1 MB made mostly of a
 * binary attachment, `1024` one 1 MB text part: see messageCases), BENCH_MESSAGES (300, at 10 and 100 KB),
 * BENCH_MESSAGES_LARGE (60, at 1 MB), BENCH_ROUNDS (3), BENCH_CONCURRENCY (4 requests in flight),
 * BENCH_VARIANTS=name=folder,… measures, beside the rendered configuration, variants of it: each
 * folder's files (e.g. `local.d/options.inc`) are laid over the rendered ones, to try a lever
 * before rendering it (`name.append` is appended to the rendered `name`); `{{rspamdFuzzy}}` in
 * them stands for the variant's port of that name. All variants run side by side, measured in interleaved rounds.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { freeLoopbackPorts, freeMailstackPorts } from '../../src/mailstack/free-ports';
import { SHARED_HYPERSCAN_CACHE } from '../../src/mailstack/hyperscan-cache';
import {
  rspamdPidFile,
  startRspamd,
  stopRspamd,
  waitForPort,
  writeFiles,
} from '../../src/mailstack/processes';
import { DIGEST_HEADER, renderRspamd } from '../../src/mailstack/render-rspamd';
import { privateSettings } from '../../src/mailstack/start-mailstack';
import type { MailstackSettings } from '../../src/mailstack/settings';
import { publishHyperscanCache } from '../../src/mailstack/hyperscan-cache';
import type { ZoneServer } from '../../src/dns/zone-server';
import { pidFromFile, treeCpuSeconds } from '../lib/cpu';
import {
  attachmentMessage,
  messageCases,
  SENDER,
  SENDER_HELO,
  smtpSource,
  startSenderDns,
  type MessageCase,
} from '../lib/inbound-sender';
import { machineLine, median } from '../lib/stats';

const CASES = messageCases(process.env.BENCH_SIZES_KB ?? '10,100,1024,1024a');
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 300);
const MESSAGES_LARGE = Number(process.env.BENCH_MESSAGES_LARGE ?? 60);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const RECIPIENT = 'someone@inbound.bench.example';

/** One message as bench/inbound sends it, with the Received line Postfix adds. */
async function captureMessage(c: MessageCase): Promise<Buffer> {
  const message = c.attachment
    ? await attachmentMessage(RECIPIENT, c.kb * 1024)
    : await smtpSourceMessage(c.kb * 1024);
  const received =
    `Received: from ${SENDER_HELO} (unknown [127.0.0.1])\r\n` +
    `\tby mail.giroflee.test (Postfix) with ESMTP id 4BENCH0000\r\n` +
    `\tfor <${RECIPIENT}>; ${new Date().toUTCString()}\r\n`;
  return Buffer.concat([Buffer.from(received), message]);
}

/** One message as smtp-source writes it. */
async function smtpSourceMessage(size: number): Promise<Buffer> {
  const [port] = await freeLoopbackPorts(1);
  let captured: Buffer | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        captured = Buffer.concat(chunks);
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  try {
    await smtpSource(port, RECIPIENT, 1, size, 1);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return captured!;
}

interface Variant {
  name: string;
  settings: MailstackSettings;
  dir: string;
  pid(): number | undefined;
}

/** Lays `from`'s files over `to`'s, `{{port name}}` (e.g. `{{rspamdFuzzy}}`) replaced by the variant's port. */
function overlay(from: string, to: string, ports: MailstackSettings['ports']): void {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      fs.mkdirSync(target, { recursive: true });
      overlay(source, target, ports);
    } else {
      const text = fs
        .readFileSync(source, 'utf8')
        .replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(ports[name as keyof typeof ports]));
      if (entry.name.endsWith('.append')) fs.appendFileSync(target.slice(0, -'.append'.length), text);
      else fs.writeFileSync(target, text);
    }
  }
}

/** rspamd alone, as the private stack renders it, with its normal worker for /checkv2. */
async function startVariant(name: string, folder: string | undefined, dnsPort: number): Promise<Variant> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `giroflee-bench-defence-${name}-`));
  // rspamd runs as its own user, which must reach its run folder (fuzzy storage, Hyperscan cache).
  fs.chmodSync(dir, 0o711);
  const settings = await privateSettings({
    dir,
    databaseUrl: 'postgres://unused@127.0.0.1/unused',
    ports: await freeMailstackPorts(),
    defence: { dnsServers: [{ host: '127.0.0.1', port: dnsPort }] },
  });
  const p = settings.paths;
  await writeFiles(p.rspamdConfigDir, renderRspamd(settings), '_rspamd');
  if (folder) overlay(path.resolve(folder), p.rspamdConfigDir, settings.ports);
  fs.mkdirSync(path.dirname(p.rspamdLogFile!), { recursive: true });
  await startRspamd({
    configDir: p.rspamdConfigDir,
    runDir: p.rspamdRunDir!,
    logFile: p.rspamdLogFile!,
    cacheDir: p.rspamdCacheDir!,
    sharedCache: SHARED_HYPERSCAN_CACHE,
  });
  await waitForPort(settings.ports.rspamdScan!, 180_000);
  await waitForPort(settings.ports.rspamdMilter, 180_000);
  return { name, settings, dir, pid: () => pidFromFile(rspamdPidFile(p.rspamdRunDir!)) };
}

/**
 * What rspamd logged that would make its figures meaningless: its fuzzy storage not answering
 * (a scan that skips the round trip is cheaper), or its compiled expressions not loaded.
 */
function checkLog(v: Variant): void {
  const log = fs.readFileSync(v.settings.paths.rspamdLogFile!, 'utf8');
  const bad = log
    .split('\n')
    .find((l) => /fuzzy_check_io_callback: got error|cannot (open|compile) hyperscan/i.test(l));
  if (bad) throw new Error(`rspamd (${v.name}) did not run as it would in the stack: ${bad}`);
}

async function stopVariant(v: Variant): Promise<void> {
  await stopRspamd(v.settings.paths.rspamdRunDir!);
  await publishHyperscanCache(v.settings.paths.rspamdCacheDir!, SHARED_HYPERSCAN_CACHE);
  fs.rmSync(v.dir, { recursive: true, force: true });
}

interface Reply {
  action: string;
  score: number;
  symbols: Record<string, unknown>;
  milter?: { add_headers?: Record<string, unknown> };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** One scan, as the milter asks it: the client, its HELO, the envelope. */
function check(port: number, message: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/checkv2',
        method: 'POST',
        agent,
        headers: {
          'Content-Length': message.length,
          IP: '127.0.0.1',
          Hostname: 'unknown',
          Helo: SENDER_HELO,
          From: SENDER,
          Rcpt: RECIPIENT,
          'Queue-Id': '4BENCH0000',
          'MTA-Tag': 'mx',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`rspamd answered ${res.statusCode}`));
          else resolve(JSON.parse(Buffer.concat(chunks).toString()) as Reply);
        });
      },
    );
    req.once('error', reject);
    req.end(message);
  });
}

/** What the defence must still produce for an ordinary message; throws when a lever lost it. */
function features(r: Reply): { digests: number } {
  const headers = r.milter?.add_headers ?? {};
  if (r.action === 'reject' || r.action === 'soft reject') throw new Error(`rspamd refused: ${r.action}`);
  if (!('Authentication-Results' in headers)) throw new Error('no Authentication-Results in the reply');
  const digest = headers[DIGEST_HEADER];
  const digests = Array.isArray(digest) ? digest.length : digest ? 1 : 0;
  return { digests };
}

async function scanAll(
  port: number,
  message: Buffer,
  count: number,
): Promise<{ digests: number; score: number }> {
  let next = 0;
  let digests = 0;
  let score = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const reply = await check(port, message);
      ({ digests } = features(reply));
      score = reply.score;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { digests, score };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: rspamd is started by the bench');
  const overlays: Array<[string, string | undefined]> = [['rendered', undefined]];
  for (const item of (process.env.BENCH_VARIANTS ?? '').split(',').filter(Boolean)) {
    const [name, folder] = item.split('=');
    overlays.push([name, folder]);
  }
  const started = Date.now();
  let dns: ZoneServer | undefined;
  const variants: Variant[] = [];
  // One clean-up, whoever asks first (a signal, or main's end): the other waits for the same one.
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      for (const v of variants.splice(0)) await stopVariant(v).catch((e) => process.stderr.write(`${e}\n`));
      await dns?.stop();
      agent.destroy();
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  try {
    dns = await startSenderDns((await freeLoopbackPorts(1))[0]);
    for (const [name, folder] of overlays) variants.push(await startVariant(name, folder, dns.port));
    const messages = new Map<string, Buffer>();
    for (const c of CASES) messages.set(c.key, await captureMessage(c));
    const cpu = new Map<string, number[]>();
    const notes = new Map<string, string>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CASES) {
        const count = c.kb >= 1024 ? MESSAGES_LARGE : MESSAGES;
        const order = variants.map((_, i) => variants[(i + round) % variants.length]);
        for (const v of order) {
          const port = v.settings.ports.rspamdScan!;
          // Warm-up: the worker's connections, the fuzzy storage, Lua's caches.
          await scanAll(port, messages.get(c.key)!, Math.max(5, count / 10));
          const before = treeCpuSeconds({ rspamd: v.pid() }).rspamd;
          const seen = await scanAll(port, messages.get(c.key)!, count);
          const after = treeCpuSeconds({ rspamd: v.pid() }).rspamd;
          const ms = ((after - before) * 1000) / count;
          const key = `${v.name}/${c.key}`;
          cpu.set(key, [...(cpu.get(key) ?? []), ms]);
          notes.set(key, `${seen.digests} digests, score ${seen.score.toFixed(2)}`);
          process.stderr.write(
            `round ${round + 1} ${v.name} ${c.label}: ${ms.toFixed(2)} ms CPU/msg (${notes.get(key)}); load ${os.loadavg()[0].toFixed(1)}\n`,
          );
        }
      }
    }
    for (const v of variants) checkLog(v);
    const lines = [
      `bench/defence — ${machineLine()}`,
      `rspamd's process tree, CPU ms per message through /checkv2, median over ${ROUNDS} rounds (min–max); ` +
        `${MESSAGES} messages at 10 and 100 KB, ${MESSAGES_LARGE} at 1 MB, ${CONCURRENCY} in flight; ` +
        `load average at end ${os.loadavg()[0].toFixed(1)}; ${((Date.now() - started) / 60000).toFixed(1)} min.`,
      '',
      `| configuration | ${CASES.map((c) => c.label).join(' | ')} |`,
      `|---|${CASES.map(() => '---').join('|')}|`,
    ];
    for (const v of variants) {
      const cells = CASES.map((c) => {
        const xs = cpu.get(`${v.name}/${c.key}`)!;
        return `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}); ${notes.get(`${v.name}/${c.key}`)}`;
      });
      lines.push(`| ${v.name} | ${cells.join(' | ')} |`);
    }
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await cleanUp();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
