/**
 * The fault lab shared by bench/faults and its short versions in the tests: the real private
 * stack (Postfix, Dovecot) reading PostgreSQL, the inbound gateway in its own process on a fixed
 * port, a stream of messages sent to the MX as a remote MTA would (a 4xx is retried later), one
 * fault injected while the stream runs, and afterwards the count: sent, delivered, lost,
 * duplicated, stored in clear, and how long delivery took to catch up once the fault ended.
 * Outbound, the same for mail submitted by a mailbox: Postfix's submission → the outbound
 * gateway (DKIM signing, cached lookups, circuit breakers, as `giroflee serve` runs it) → two
 * relays standing in for third parties (a primary and a fallback), one of which flaps.
 */
import { ChildProcess, execFile, fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import nodemailer from 'nodemailer';
import { hashPassword } from '../../src/auth/password-hash';
import { loadConfig } from '../../src/config';
import type { AppContext } from '../../src/context';
import { ensureDomainDkimKey } from '../../src/dns/dkim-keys';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { Keyring } from '../../src/encryption/master-key';
import { freeLoopbackPorts, freeMailstackPorts } from '../../src/mailstack/free-ports';
import { startDovecot, stopDovecot, waitForPort } from '../../src/mailstack/processes';
import { type RunningMailstack, startMailstack } from '../../src/mailstack/start-mailstack';
import { CircuitBreakers } from '../../src/relay/circuit-breaker';
import { outboundLookups } from '../../src/relay/components';
import { startOutboundGateway, type RunningGateway } from '../../src/relay/outbound-gateway';
import { RelayTransports } from '../../src/relay/relay-transport';
import { createRelaySchema } from '../../src/relay/relay-input';
import { insertRelay } from '../../src/relay/relays';
import { sameSenderOwner } from '../../src/relay/sender-identities';
import { DELIVERY_HEADER } from '../../src/encryption/delivery-id';
import { trackedIdCount } from './dedup-tracking';
import { RelaySink } from './relay-sink';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const debug = (...args: unknown[]) => {
  if (process.env.FAULT_LAB_DEBUG) process.stderr.write(`${new Date().toISOString()} ${args.join(' ')}\n`);
};

export interface FaultResult {
  fault: string;
  sent: number;
  delivered: number;
  /** Not delivered when the lab stopped waiting, but still in Postfix's queue: late, not lost. */
  queued: number;
  /** Neither delivered nor in Postfix's queue. */
  lost: number;
  duplicated: number;
  /** null outbound: mail leaving the platform is not stored here. */
  storedInClear: number | null;
  /** From the end of the fault to the last message stored (or, outbound, accepted by a relay). */
  recoverySeconds: number;
  /** What else the case observed (outbound: messages taken by each relay, queue at the outage's end). */
  detail?: Record<string, number>;
}

/** How the lab starts the gateway process: the module and node's options (a TS loader in tests). */
export interface GatewayLauncher {
  module: string;
  execArgv: string[];
}

export interface FaultLabOptions {
  databaseUrl: string;
  db: Knex;
  gateway: GatewayLauncher;
  /** Restarts the PostgreSQL server, staying down `downMs` (the postgres-restart fault). */
  restartPostgres?: (downMs: number) => Promise<void>;
  /** The outbound circuit breakers' cool-down; giroflee's default (60 s) when absent. */
  breakerCoolDownMs?: number;
}

const PASSWORD = 'fault lab password, long enough';

export class FaultLab {
  private stack?: RunningMailstack;
  private child?: ChildProcess;
  private gatewayPort = 0;
  private dir = '';
  private domain?: { id: string; name: string };
  private readonly ctx: AppContext;
  private readonly relays = { primary: new RelaySink(), fallback: new RelaySink() };
  private transports?: RelayTransports;
  private outbound?: RunningGateway;
  /** When the gateway was last killed (Date.now()). */
  private killedAt = 0;

  constructor(private readonly o: FaultLabOptions) {
    this.ctx = {
      db: o.db,
      config: loadConfig({ NODE_ENV: 'production' }),
      keyring: new Keyring([Keyring.generateKey()]),
      now: () => new Date(),
    };
  }

  async start(): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-faults-'));
    // Every port free, none of the defaults: other stacks (other runs, other tests) may be up.
    const ports = await freeMailstackPorts();
    [this.gatewayPort] = await freeLoopbackPorts(1);
    await this.startGateway(ports.dovecotLmtp);
    await this.startOutbound(ports.reinject);
    this.stack = await startMailstack({
      dir: this.dir,
      databaseUrl: this.o.databaseUrl,
      ports,
      inboundTransport: 'gateway',
      gatewayLmtp: { host: '127.0.0.1', port: this.gatewayPort },
      outboundFilter: { host: '127.0.0.1', port: this.outbound!.port },
    });
    const [collective] = await this.o
      .db('collectives')
      .insert({ slug: `faults-${crypto.randomBytes(4).toString('hex')}`, name: 'faults' })
      .returning('id');
    [this.domain] = await this.o
      .db('domains')
      .insert({
        name: `faults-${crypto.randomBytes(4).toString('hex')}.example`,
        collective_id: collective.id,
        status: 'active',
        verification_token: 'faults',
      })
      .returning(['id', 'name']);
    await ensureDomainDkimKey(this.ctx, this.domain!.id);
    for (const [name, sink] of Object.entries(this.relays)) {
      const role = name === 'primary' ? 'primary' : 'fallback';
      const input = { kind: 'smarthost', name, host: '127.0.0.1', port: sink.port, tlsMode: 'none', role };
      await insertRelay(this.ctx, createRelaySchema.parse(input));
    }
  }

  async stop(): Promise<void> {
    await this.stack?.stop();
    await this.stopGateway();
    await this.outbound?.stop();
    this.transports?.close();
    await Promise.all(Object.values(this.relays).map((r) => r.stop()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * The outbound gateway as `giroflee serve` runs it (components.ts): lookups cached by
   * outboundLookups, pooled transports, circuit breakers with the configured threshold.
   */
  private async startOutbound(reinject: number): Promise<void> {
    const relay = this.ctx.config.relay;
    await Promise.all(Object.values(this.relays).map((r) => r.up(0)));
    this.transports = new RelayTransports({
      reinject: { host: '127.0.0.1', port: reinject },
      heloName: 'faults.giroflee.test',
      connectionTimeoutMs: relay.timeoutMs,
      greetingTimeoutMs: relay.timeoutMs,
      socketTimeoutMs: 4 * relay.timeoutMs,
    });
    const transports = this.transports;
    this.outbound = await startOutboundGateway({
      listen: { host: '127.0.0.1', port: 0 },
      ...outboundLookups(this.ctx),
      sameSenderOwner: (envelopeSender, from) => sameSenderOwner(this.ctx, envelopeSender, from),
      send: (target, envelope, message) => transports.send(target, envelope, message),
      breakers: new CircuitBreakers({
        failureThreshold: relay.breakerFailures,
        coolDownMs: this.o.breakerCoolDownMs ?? relay.breakerCoolDownMs,
        now: this.ctx.now,
      }),
      now: this.ctx.now,
      hostname: 'faults.giroflee.test',
      maxMessageBytes: relay.maxMessageBytes,
    });
  }

  private dovecotLmtp(): number {
    return this.stack!.ports.dovecotLmtp;
  }

  private async startGateway(nextHop = this.dovecotLmtp()): Promise<void> {
    const child = fork(this.o.gateway.module, [], {
      execArgv: this.o.gateway.execArgv,
      env: {
        ...process.env,
        BENCH_DATABASE_URL: this.o.databaseUrl,
        BENCH_NEXT_HOP_PORT: String(nextHop),
        BENCH_LISTEN_PORT: String(this.gatewayPort),
        BENCH_GATEWAY_TIMEOUT_MS: '30000',
        LOG_LEVEL: 'fatal',
      },
    });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`gateway exited (${code}) before listening`)));
      child.once('message', () => resolve());
    });
    child.removeAllListeners('exit');
    this.child = child;
  }

  private async stopGateway(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.send('stop');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  }

  /** A mailbox with a generated key, and its home directory in the mail store. */
  async mailbox(localPart: string): Promise<{ address: string; home: string }> {
    const [row] = await this.o
      .db('mailboxes')
      .insert({
        domain_id: this.domain!.id,
        local_part: localPart,
        password_hash: await hashPassword(PASSWORD),
        encryption_mode: 'generated',
        quota_bytes: 2 ** 40,
      })
      .returning(['id', 'address']);
    await provisionMailboxKeys(this.ctx, row, PASSWORD);
    return { address: row.address, home: path.join(this.stack!.mailRoot, this.domain!.name, localPart) };
  }

  /** The messages in the mailbox's Maildir: file names (delivery time first), read only when asked. */
  private storedNames(home: string): string[] {
    return ['new', 'cur'].flatMap((sub) => {
      const dir = path.join(home, 'Maildir', sub);
      return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
    });
  }

  /** The faults, each ending (resolving) once the system may work again. */
  readonly faults = {
    'gateway SIGKILL, restarted': async (downMs: number) => {
      this.killedAt = Date.now();
      this.child!.kill('SIGKILL');
      await new Promise((r) => this.child!.once('exit', r));
      await sleep(downMs);
      await this.startGateway();
    },
    'Dovecot stopped': async (downMs: number) => {
      const p = this.stack!.settings.paths;
      await stopDovecot(p.dovecotConfigFile, p.dovecotBaseDir);
      await sleep(downMs);
      await startDovecot(p.dovecotConfigFile, p.dovecotLogFile);
      await waitForPort(this.dovecotLmtp());
    },
    'PostgreSQL restarted': async (downMs: number) => {
      if (!this.o.restartPostgres) throw new Error('no PostgreSQL to restart');
      await this.o.restartPostgres(downMs);
    },
  } satisfies Record<string, (downMs: number) => Promise<void>>;

  /**
   * Sends `count` messages of mixed sizes to a fresh mailbox; once `faultAfter` are stored,
   * injects `fault` (or fills the mailbox's disk, for 'disk full'); then waits until every
   * message is stored, or until `deadlineMs` after the fault's end (or after the MX accepted the
   * last message, if that came later), and counts.
   */
  async stream(opts: {
    fault: keyof FaultLab['faults'] | 'Dovecot disk full';
    count: number;
    sizes: number[];
    faultAfter: number;
    downMs: number;
    deadlineMs: number;
  }): Promise<FaultResult> {
    const box = await this.mailbox(`fault-${crypto.randomBytes(3).toString('hex')}`);
    const diskFull = opts.fault === 'Dovecot disk full';
    if (diskFull) await this.mountSmallDisk(box.home);
    try {
      return await this.measure(box, opts, diskFull);
    } finally {
      if (diskFull) await run('umount', ['-l', box.home]).catch(() => undefined);
    }
  }

  private async measure(
    box: { address: string; home: string },
    opts: Parameters<FaultLab['stream']>[0],
    diskFull: boolean,
  ): Promise<FaultResult> {
    const ids = messageIds(opts.count);
    const stored = () => this.storedNames(box.home).length;
    let allSent = false;
    const faultDone = (async () => {
      while (stored() < opts.faultAfter && !allSent) await sleep(20);
      if (diskFull) {
        // The disk is already tiny: it fills; it stays so for downMs, then gets room.
        await sleep(opts.downMs);
        await run('mount', ['-o', 'remount,size=512m', box.home]);
      } else {
        await this.faults[opts.fault as keyof FaultLab['faults']](opts.downMs);
      }
      debug('fault ended', opts.fault);
      return Date.now();
    })();
    // A remote MTA: a temporary refusal at the MX (4xx) is retried a little later.
    await this.send({ port: this.stack!.ports.mx }, ids, (i) => ({
      from: 'alice@remote.example',
      to: box.address,
      ...this.content(i, opts.sizes),
    }));
    allSent = true;
    const faultEnded = await faultDone;
    let lastStoredAt = Date.now();
    let lastCount = -1;
    await this.settle(opts.deadlineMs, () => {
      const n = stored();
      if (n !== lastCount) [lastCount, lastStoredAt] = [n, Date.now()];
      return n >= opts.count;
    });
    const queued = await this.queuedMessageIds();
    const seen = new Map<string, number>();
    const firstStored = new Map<string, number>();
    let storedInClear = 0;
    const deliveryIds = new Set<string>();
    const deliveryField = new RegExp(`^${DELIVERY_HEADER}: (\\S+)$`, 'm');
    for (const file of this.storedNames(box.home)) {
      const text = fs.readFileSync(file).toString('latin1');
      const id = /^Message-ID:\s*(\S+)/im.exec(text)?.[1] ?? '';
      deliveryIds.add(deliveryField.exec(text)?.[1] ?? '');
      seen.set(id, (seen.get(id) ?? 0) + 1);
      const at = maildirTime(file);
      firstStored.set(id, Math.min(at, firstStored.get(id) ?? at));
      if (!/^Content-Type: multipart\/encrypted;/im.test(text) || text.includes('texte en clair'))
        storedInClear++;
    }
    const result: FaultResult = {
      ...tally(opts.fault, ids, seen, queued),
      storedInClear,
      recoverySeconds: Math.max(0, (lastStoredAt - faultEnded) / 1000),
      // Each delivery id Dovecot's Sieve tracking file does not hold is a message a retry would
      // store again (mailbox-turns.ts): the two figures should be equal.
      detail: { deliveryIdsStored: deliveryIds.size, deliveryIdsTracked: trackedIdCount(box.home) },
    };
    if (opts.fault === 'gateway SIGKILL, restarted') {
      // A duplicate the kill explains: its first copy was stored by Dovecot as the gateway died,
      // so the 250 never reached Postfix, which delivered it again (RFC 5321 §6.1).
      const atKill = [...seen]
        .filter(([, n]) => n > 1)
        .filter(([id]) => Math.abs(firstStored.get(id)! - this.killedAt) <= KILL_WINDOW_MS).length;
      result.detail!.duplicatesStoredAtTheKill = atKill;
    }
    return result;
  }

  /**
   * The relay-flap fault: a mailbox submits `count` messages of mixed sizes, paced over the
   * fault's length so that mail flows all through it; once `faultAfter` reached a relay, the
   * primary relay goes down for `flap.periodMs` and up again, `flap.cycles` times, then every
   * relay is down for `downMs`. Afterwards the queue is flushed until every message reached a
   * relay or `deadlineMs` passed; the count is by Message-ID at the relays.
   */
  async outboundStream(opts: {
    count: number;
    sizes: number[];
    faultAfter: number;
    flap: { periodMs: number; cycles: number };
    downMs: number;
    deadlineMs: number;
  }): Promise<FaultResult> {
    const sender = await this.mailbox(`sender-${crypto.randomBytes(3).toString('hex')}`);
    const { primary, fallback } = this.relays;
    for (const r of [primary, fallback]) r.received.length = 0;
    const arrived = () => primary.received.length + fallback.received.length;
    const ids = messageIds(opts.count);
    let queuedAtOutageEnd = 0;
    let faultStarted = (): void => undefined;
    const started = new Promise<number>((resolve) => (faultStarted = () => resolve(Date.now())));
    const faultDone = (async () => {
      const deadline = Date.now() + opts.deadlineMs;
      while (arrived() < opts.faultAfter) {
        if (Date.now() > deadline) throw new Error(`no message reached a relay in ${opts.deadlineMs} ms`);
        await sleep(20);
      }
      faultStarted();
      for (let i = 0; i < opts.flap.cycles; i++) {
        debug('primary down');
        await primary.down();
        await sleep(opts.flap.periodMs);
        debug('primary up');
        await primary.up();
        await sleep(opts.flap.periodMs);
      }
      debug('every relay down');
      await Promise.all([primary.down(), fallback.down()]);
      await sleep(opts.downMs);
      queuedAtOutageEnd = (await this.stack!.queue()).length;
      await Promise.all([primary.up(), fallback.up()]);
      debug('relays up,', queuedAtOutageEnd, 'queued');
      return Date.now();
    })();
    // The first faultAfter messages go at once; the others are spread over the fault's length.
    const spacing =
      (opts.flap.cycles * 2 * opts.flap.periodMs + opts.downMs) / Math.max(1, opts.count - opts.faultAfter);
    const paced = async (i: number) => {
      if (i < opts.faultAfter) return;
      const due = (await started) + (i - opts.faultAfter) * spacing - Date.now();
      if (due > 0) await sleep(due);
    };
    await Promise.race([
      this.send(
        { port: this.stack!.ports.submission, auth: { user: sender.address, pass: PASSWORD } },
        ids,
        (i) => ({
          from: sender.address,
          to: `friend-${i % 7}@remote.example`,
          ...this.content(i, opts.sizes),
        }),
        paced,
      ),
      faultDone.then(() => new Promise(() => undefined)),
    ]);
    const faultEnded = await faultDone;
    await this.settle(
      opts.deadlineMs,
      () => new Set([...primary.received, ...fallback.received]).size >= ids.length,
    );
    const seen = new Map<string, number>();
    for (const id of [...primary.received, ...fallback.received]) seen.set(id, (seen.get(id) ?? 0) + 1);
    const lastAt = Math.max(primary.lastReceivedAt, fallback.lastReceivedAt);
    return {
      ...tally('relay flap', ids, seen, await this.queuedMessageIds()),
      storedInClear: null,
      recoverySeconds: Math.max(0, (lastAt - faultEnded) / 1000),
      detail: {
        viaPrimary: primary.received.length,
        viaFallback: fallback.received.length,
        queuedAtOutageEnd,
      },
    };
  }

  /** Message `i` of a stream: its subject, and a body of about its size with a marker in clear. */
  private content(i: number, sizes: number[]): { subject: string; text: string } {
    const size = sizes[i % sizes.length];
    const line = `texte en clair numero ${i} ` + 'x'.repeat(70) + '\n';
    return { subject: `n° ${i}`, text: line.repeat(Math.max(1, Math.ceil(size / 95))) };
  }

  /**
   * Sends message i (Message-ID ids[i]) for every i, over four pooled connections; a 4xx (or a
   * lost connection) is retried half a second later, as an MTA or a mail program would; a 5xx
   * fails the run. `before(i)` may hold message i back (pacing).
   */
  private async send(
    server: { port: number; auth?: { user: string; pass: string } },
    ids: string[],
    message: (i: number) => { from: string; to: string; subject: string; text: string },
    before: (i: number) => Promise<void> = async () => undefined,
  ): Promise<void> {
    const smtp = nodemailer.createTransport({
      host: '127.0.0.1',
      port: server.port,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 4,
      auth: server.auth,
    });
    const one = async (i: number) => {
      await before(i);
      for (;;) {
        try {
          await smtp.sendMail({ ...message(i), messageId: ids[i] });
          return;
        } catch (e) {
          const code = (e as { responseCode?: number }).responseCode ?? 0;
          debug('send', i, 'retry', code, (e as Error).message.slice(0, 120));
          if (code >= 500) throw e;
          await sleep(500);
        }
      }
    };
    let next = 0;
    try {
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < ids.length) await one(next++);
        }),
      );
    } finally {
      smtp.close();
    }
    debug('all sent');
  }

  /**
   * The Message-IDs of what Postfix still holds (postcat reads each queue file's header; the
   * field may be folded): what the lab stopped waiting for but Postfix would still deliver.
   */
  private async queuedMessageIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    const conf = this.stack!.settings.paths.postfixConfigDir;
    for (const { queue_id } of await this.stack!.queue()) {
      const header = await run('postcat', ['-c', conf, '-h', '-q', queue_id]).then(
        (r) => r.stdout,
        () => '',
      );
      const id = /^Message-ID:\s*(\S+)/im.exec(header)?.[1];
      if (id) ids.add(id);
    }
    return ids;
  }

  /**
   * Postfix retries deferred mail on its own schedule; flush as an operator would, until done
   * or `deadlineMs` from now (the caller calls it once the fault is over and every message was
   * accepted by the MX).
   */
  private async settle(deadlineMs: number, done: () => boolean): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline) {
      if (done() && (await this.stack!.queue()).length === 0) return;
      await this.stack!.flush().catch(() => undefined);
      await sleep(500);
    }
  }

  /** A tmpfs of a few hundred KB over the mailbox's home, owned by the mail user: it fills. */
  private async mountSmallDisk(home: string): Promise<void> {
    fs.mkdirSync(home, { recursive: true });
    const vmail = this.stack!.settings.vmail;
    for (let d = home; d !== this.stack!.mailRoot; d = path.dirname(d)) fs.chownSync(d, vmail.uid, vmail.gid);
    await run('mount', [
      '-t',
      'tmpfs',
      '-o',
      `size=384k,mode=0700,uid=${vmail.uid},gid=${vmail.gid}`,
      'tmpfs',
      home,
    ]);
  }
}

/** How close to the kill a first copy must have been stored for the kill to explain its duplicate. */
const KILL_WINDOW_MS = 3000;

/** When Dovecot delivered a Maildir file: its name starts with seconds, then .M and microseconds. */
function maildirTime(file: string): number {
  const m = /^(\d+)\.M(\d+)P/.exec(path.basename(file));
  return m ? Number(m[1]) * 1000 + Number(m[2]) / 1000 : NaN;
}

/** Long enough that every Message-ID header is folded, as real ones often are: counting must unfold. */
function messageIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `<fault-${i}-${crypto.randomUUID()}@lab.remote.example>`);
}

/**
 * Sent, delivered, still queued, lost and duplicated, from how many times each Message-ID
 * arrived and which ones Postfix still holds.
 */
function tally(
  fault: string,
  ids: string[],
  seen: Map<string, number>,
  queuedIds: Set<string>,
): Pick<FaultResult, 'fault' | 'sent' | 'delivered' | 'queued' | 'lost' | 'duplicated'> {
  const missing = ids.filter((id) => !seen.has(id));
  const queued = missing.filter((id) => queuedIds.has(id)).length;
  return {
    fault,
    sent: ids.length,
    delivered: ids.length - missing.length,
    queued,
    lost: missing.length - queued,
    duplicated: [...seen.values()].reduce((n, c) => n + (c - 1), 0),
  };
}
