/**
 * The fault lab shared by bench/faults and its short versions in the tests: the real private
 * stack (Postfix, Dovecot) reading PostgreSQL, the inbound gateway in its own process on a fixed
 * port, a stream of messages sent to the MX as a remote MTA would (a 4xx is retried later), one
 * fault injected while the stream runs, and afterwards the count: sent, delivered, lost,
 * duplicated, stored in clear, and how long delivery took to catch up once the fault ended.
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
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { Keyring } from '../../src/encryption/master-key';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import { startDovecot, stopDovecot, waitForPort } from '../../src/mailstack/processes';
import { type RunningMailstack, startMailstack } from '../../src/mailstack/start-mailstack';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const debug = (...args: unknown[]) => {
  if (process.env.FAULT_LAB_DEBUG) process.stderr.write(`${new Date().toISOString()} ${args.join(' ')}\n`);
};

export interface FaultResult {
  fault: string;
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  storedInClear: number;
  /** From the end of the fault to the last message stored. */
  recoverySeconds: number;
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
}

export class FaultLab {
  private stack?: RunningMailstack;
  private child?: ChildProcess;
  private gatewayPort = 0;
  private dir = '';
  private domain?: { id: string; name: string };

  constructor(private readonly o: FaultLabOptions) {}

  async start(): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-faults-'));
    const [mx, submission, imap, dovecotLmtp, auth, quotaStatus, reinject, gatewayPort] =
      await freeLoopbackPorts(8);
    this.gatewayPort = gatewayPort;
    await this.startGateway(dovecotLmtp);
    this.stack = await startMailstack({
      dir: this.dir,
      databaseUrl: this.o.databaseUrl,
      ports: { mx, submission, imap, dovecotLmtp, auth, quotaStatus, reinject },
      inboundTransport: 'gateway',
      gatewayLmtp: { host: '127.0.0.1', port: gatewayPort },
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
  }

  async stop(): Promise<void> {
    await this.stack?.stop();
    await this.stopGateway();
    fs.rmSync(this.dir, { recursive: true, force: true });
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
        password_hash: await hashPassword('fault lab password, long enough'),
        encryption_mode: 'generated',
        quota_bytes: 2 ** 40,
      })
      .returning(['id', 'address']);
    const ctx = {
      db: this.o.db,
      config: loadConfig({ NODE_ENV: 'production' }),
      keyring: new Keyring([Keyring.generateKey()]),
      now: () => new Date(),
    };
    await provisionMailboxKeys(ctx, row, 'fault lab password, long enough');
    return { address: row.address, home: path.join(this.stack!.mailRoot, this.domain!.name, localPart) };
  }

  private storedFiles(home: string): Buffer[] {
    return ['new', 'cur'].flatMap((sub) => {
      const dir = path.join(home, 'Maildir', sub);
      return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f))) : [];
    });
  }

  /** The faults, each ending (resolving) once the system may work again. */
  readonly faults = {
    'gateway SIGKILL, restarted': async (downMs: number) => {
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
   * message is stored or `deadlineMs` passed, and counts.
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
    const ids = Array.from(
      { length: opts.count },
      (_, i) => `<fault-${i}-${crypto.randomUUID()}@remote.example>`,
    );
    const marker = (i: number) => `texte en clair numero ${i} `;
    const smtp = nodemailer.createTransport({
      host: '127.0.0.1',
      port: this.stack!.ports.mx,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 4,
    });
    let faultEnded = 0;
    let allSent = false;
    const stored = () => this.storedFiles(box.home).length;
    const injectWhenDue = async () => {
      while (stored() < opts.faultAfter && !allSent) await sleep(20);
      if (diskFull) {
        // The disk is already tiny: it fills; it stays so for downMs, then gets room.
        await sleep(opts.downMs);
        await run('mount', ['-o', 'remount,size=512m', box.home]);
      } else {
        await this.faults[opts.fault as keyof FaultLab['faults']](opts.downMs);
      }
      faultEnded = Date.now();
      debug('fault ended', opts.fault);
    };
    const faultDone = injectWhenDue();
    // A remote MTA: a temporary refusal at the MX (4xx) is retried a little later.
    const send = async (i: number) => {
      const size = opts.sizes[i % opts.sizes.length];
      const text = (marker(i) + 'x'.repeat(70) + '\n').repeat(Math.max(1, Math.ceil(size / 95)));
      for (;;) {
        try {
          await smtp.sendMail({
            from: 'alice@remote.example',
            to: box.address,
            subject: `n° ${i}`,
            text,
            messageId: ids[i],
          });
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
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < opts.count) await send(next++);
      }),
    );
    allSent = true;
    debug('all sent');
    smtp.close();
    await faultDone;
    // Postfix retries deferred mail on its own schedule; flush as an operator would.
    const deadline = Date.now() + opts.deadlineMs;
    let lastCount = stored();
    let lastStoredAt = Date.now();
    while (Date.now() < deadline) {
      const n = stored();
      if (n !== lastCount) [lastCount, lastStoredAt] = [n, Date.now()];
      if (n >= opts.count && (await this.stack!.queue()).length === 0) break;
      debug('stored', n, 'of', opts.count);
      await this.stack!.flush().catch(() => undefined);
      await sleep(500);
    }
    const files = this.storedFiles(box.home);
    const seen = new Map<string, number>();
    let storedInClear = 0;
    for (const f of files) {
      const text = f.toString('latin1');
      const id = /^Message-ID:\s*(\S+)/im.exec(text)?.[1] ?? '';
      seen.set(id, (seen.get(id) ?? 0) + 1);
      if (!/^Content-Type: multipart\/encrypted;/im.test(text) || text.includes('texte en clair'))
        storedInClear++;
    }
    const delivered = ids.filter((id) => seen.has(id)).length;
    return {
      fault: opts.fault,
      sent: opts.count,
      delivered,
      lost: opts.count - delivered,
      duplicated: [...seen.values()].reduce((n, c) => n + (c - 1), 0),
      storedInClear,
      recoverySeconds: Math.max(0, (lastStoredAt - faultEnded) / 1000),
    };
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
