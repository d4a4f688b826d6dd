/**
 * bench/outbound/fair-queue: how long one mailbox's single message waits while another mailbox
 * submits a burst, on the real submission path (Postfix submission → sending policy → content
 * filter → outbound gateway → a relay taking RELAY_MS per message), with one lane for everyone
 * (`before`: the bulk lane never used) and with the bulk lane (`after`:
 * GIROFLEE_SENDING_BULK_AFTER = 10). Figures from one run; the ratio is what counts.
 * Run as root: `npm run build && node dist/bench/outbound/fair-queue.js`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { hashPassword } from '../../src/auth/password-hash';
import { loadConfig } from '../../src/config';
import type { AppContext } from '../../src/context';
import { startEmbeddedPostgres, temporaryClusterDir } from '../../src/db/embedded';
import { createDb, migrateLatest } from '../../src/db/knex';
import { freeMailstackPorts } from '../../src/mailstack/free-ports';
import { startMailstack } from '../../src/mailstack/start-mailstack';
import { CircuitBreakers } from '../../src/relay/circuit-breaker';
import { startOutboundGateway } from '../../src/relay/outbound-gateway';
import { RelayTransports, type RelayTarget } from '../../src/relay/relay-transport';
import { startSendingPolicy } from '../../src/sending/component';
import { machineLine } from '../lib/stats';

const BURST = Number(process.env.BENCH_BURST ?? 100);
const RELAY_MS = Number(process.env.BENCH_RELAY_MS ?? 100);
const PASSWORD = 'bench password, not a secret';

/** A relay that answers each message after RELAY_MS, recording when each subject arrived. */
async function startSlowRelay() {
  const arrivals = new Map<string, number>();
  const order: string[] = [];
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const subject = /^Subject: (.*)$/m.exec(Buffer.concat(chunks).toString('utf8'))?.[1]?.trim() ?? '';
        setTimeout(() => {
          arrivals.set(subject, performance.now());
          order.push(subject);
          cb(null, 'queued');
        }, RELAY_MS);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    arrivals,
    order,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function waitFor(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: Postfix and Dovecot are started by the bench');
  const { dir: pgDir, clusterDir } = temporaryClusterDir('giroflee-bench-pg-');
  const stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-bench-fair-'));
  const stops: Array<() => Promise<unknown>> = [];
  const cleanUp = async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => process.stderr.write(`${e}\n`));
    fs.rmSync(pgDir, { recursive: true, force: true });
    fs.rmSync(stackDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  try {
    const pg = await startEmbeddedPostgres(clusterDir);
    stops.push(() => pg.stop());
    const db = createDb(pg.url, { min: 1, max: 8 });
    stops.push(() => db.destroy());
    await migrateLatest(db);
    const defaults = loadConfig({ GIROFLEE_DATA_DIR: stackDir });
    const ctx = {
      db,
      config: {
        ...defaults,
        sending: {
          ...defaults.sending,
          limits: {
            hourMessages: 10_000,
            hourRecipients: 10_000,
            dayMessages: 10_000,
            dayRecipients: 10_000,
          },
        },
      },
      now: () => new Date(),
    } as AppContext;

    const [collective] = await db('collectives')
      .insert({ slug: 'bench-fair', name: 'bench' })
      .returning('id');
    const [domain] = await db('domains')
      .insert({
        name: 'fair.bench.example',
        collective_id: collective.id,
        status: 'active',
        verification_token: 'b',
      })
      .returning(['id']);
    const hash = await hashPassword(PASSWORD);
    const mailbox = async (localPart: string) =>
      (
        await db('mailboxes')
          .insert({
            domain_id: domain.id,
            local_part: localPart,
            password_hash: hash,
            encryption_mode: 'generated',
          })
          .returning('address')
      )[0].address as string;

    const relay = await startSlowRelay();
    stops.push(() => relay.stop());
    const target: RelayTarget = {
      id: 'slow',
      name: 'slow',
      kind: 'smarthost',
      host: '127.0.0.1',
      port: relay.port,
      tlsMode: 'none',
      username: null,
      version: '1',
    };
    const transports = new RelayTransports({
      reinject: { host: '127.0.0.1', port: relay.port },
      heloName: 'bench.giroflee.test',
      connectionTimeoutMs: 10_000,
      greetingTimeoutMs: 10_000,
      socketTimeoutMs: 600_000,
    });
    stops.push(async () => transports.close());
    const gateway = await startOutboundGateway({
      listen: { host: '127.0.0.1', port: 0 },
      loadRelays: async () => [target],
      signingKeys: async () => [],
      sameSenderOwner: async () => true,
      send: (r, envelope, message) => transports.send(r, envelope, message),
      breakers: new CircuitBreakers({ failureThreshold: 1000, coolDownMs: 1000, now: () => new Date() }),
      now: () => new Date(),
      hostname: 'bench.giroflee.test',
      maxMessageBytes: 10 * 1024 * 1024,
    });
    stops.push(() => gateway.stop());
    const policy = await startSendingPolicy(ctx, { host: '127.0.0.1', port: 0 });
    stops.push(() => policy.stop());
    // Every port free, none of the defaults: other stacks may be up.
    const ports = await freeMailstackPorts();
    // startMailstack stops what it started when it fails.
    const stack = await startMailstack({
      dir: stackDir,
      databaseUrl: pg.url,
      ports,
      inboundTransport: 'dovecot',
      outboundFilter: { host: '127.0.0.1', port: gateway.port },
      sendingPolicy: { host: '127.0.0.1', port: policy.port },
    });
    stops.push(() => stack.stop());

    const submitAll = async (from: string, subjects: string[]) => {
      const client = nodemailer.createTransport({
        host: '127.0.0.1',
        port: ports.submission,
        ignoreTLS: true,
        pool: true,
        maxMessages: Infinity,
        auth: { user: from, pass: PASSWORD },
      });
      try {
        for (const subject of subjects)
          await client.sendMail({ from, to: 'friend@remote.example', subject, text: 'x' });
      } finally {
        client.close();
      }
    };

    const results: string[] = [];
    for (const [name, bulkAfter] of [
      ['before (one lane)', Number.MAX_SAFE_INTEGER],
      ['after (bulk lane from 10)', 10],
    ] as const) {
      ctx.config.sending.bulkAfter = bulkAfter;
      const tag = bulkAfter === 10 ? 'after' : 'before';
      const heavy = await mailbox(`heavy-${tag}`);
      const light = await mailbox(`light-${tag}`);
      const burst = Array.from({ length: BURST }, (_, i) => `${tag} burst ${i + 1}`);
      const t0 = performance.now();
      await submitAll(heavy, burst);
      const submitted = performance.now();
      await submitAll(light, [`${tag} single`]);
      await waitFor('the single message', () => relay.arrivals.has(`${tag} single`));
      const waited = relay.arrivals.get(`${tag} single`)! - submitted;
      const ahead = relay.order
        .slice(0, relay.order.indexOf(`${tag} single`))
        .filter((s) => s.startsWith(`${tag} burst`)).length;
      await waitFor('the burst', () => burst.every((s) => relay.arrivals.has(s)));
      const drained = Math.max(...burst.map((s) => relay.arrivals.get(s)!)) - t0;
      results.push(
        `| ${name} | ${Math.round(waited)} ms | ${ahead} of ${BURST} | ${(drained / 1000).toFixed(1)} s |`,
      );
    }
    process.stdout.write(
      [
        `Fair queue — ${machineLine()}, load ${os.loadavg()[0].toFixed(2)}`,
        `burst of ${BURST} messages from one mailbox, then one message from another; relay ${RELAY_MS} ms per message`,
        '| lanes | single message waited (after its submission) | burst messages relayed before it | whole burst relayed |',
        '|---|---|---|---|',
        ...results,
        '',
      ].join('\n'),
    );
  } finally {
    await cleanUp();
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
  process.exit(1);
});
