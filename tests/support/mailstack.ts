import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WebmailSettings } from '../../src/config';
import type { Db } from '../../src/db/knex';
import {
  startLmtpGateway,
  type LmtpGateway,
  type LmtpGatewayOptions,
} from '../../src/encryption/lmtp-gateway';
import { postfixRunning } from '../../src/mailstack/processes';
import { RunningMailstack, startMailstack, StartMailstackOptions } from '../../src/mailstack/start-mailstack';
import { freeLoopbackPorts, freeMailstackPorts } from '../../src/mailstack/free-ports';
import { SHARED_HYPERSCAN_CACHE } from '../../src/mailstack/hyperscan-cache';
import { stopAtFileEnd } from './stop-at-file-end';
import { waitUntil } from './wait-until';

/** Free loopback ports for fakes that must be known before the stack starts. */
export const freePorts = freeLoopbackPorts;

export type TestMailstack = RunningMailstack;

/** The webmail's settings with its IMAP and submission pointed at a test stack. */
export const webmailThrough = (stack: TestMailstack, webmail: WebmailSettings): WebmailSettings => ({
  ...webmail,
  imap: { host: '127.0.0.1', port: stack.ports.imap },
  submission: { host: '127.0.0.1', port: stack.ports.submission },
});

/**
 * A private Postfix + Dovecot on free loopback ports and a temporary folder, reading the test
 * database's `mta` views. Delivers straight to Dovecot unless `overrides` says otherwise.
 * `stop()` also removes the folder.
 */
export async function startTestMailstack(
  databaseUrl: string,
  overrides: Partial<Omit<StartMailstackOptions, 'databaseUrl'>> = {},
): Promise<TestMailstack> {
  const dir = overrides.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'giroflee-mailstack-')));
  const ports = await freeMailstackPorts();
  const removeDir = () => (overrides.dir ? Promise.resolve() : fs.rm(dir, { recursive: true, force: true }));
  const starting = startMailstack({
    inboundTransport: 'dovecot',
    // rspamd's compiled regular expressions, shared by every test stack on this machine.
    hyperscanCache: SHARED_HYPERSCAN_CACHE,
    ...overrides,
    dir,
    databaseUrl,
    ports: { ...ports, ...overrides.ports },
  });
  const forget = stopAtFileEnd(async () => {
    await (await starting.catch(() => undefined))?.stop();
    await removeDir();
  });
  const stack = await starting;
  return {
    ...stack,
    async stop() {
      forget();
      await stack.stop();
      await removeDir();
    },
  };
}

/**
 * The inbound path as production runs it: Postfix's MX → the encrypting LMTP gateway, reading
 * keys from the test database → Dovecot. `overrides` adds to the stack (an outbound filter, the
 * webmail's master user…), `gatewayOverrides` to the gateway. The caller stops both.
 */
export async function startEncryptingMailstack(
  ctx: { db: Db; now: () => Date; databaseUrl: string },
  overrides: Partial<Omit<StartMailstackOptions, 'databaseUrl'>> = {},
  gatewayOverrides: Partial<LmtpGatewayOptions> = {},
): Promise<{ gateway: LmtpGateway; stack: TestMailstack }> {
  const [dovecotLmtp] = await freeLoopbackPorts(1);
  const gateway = await startLmtpGateway(ctx.db, ctx.now, {
    listen: { host: '127.0.0.1', port: 0 },
    nextHop: { host: '127.0.0.1', port: dovecotLmtp },
    name: 'mail.giroflee.test',
    maxMessageBytes: 10 * 1024 * 1024,
    timeoutMs: 30000,
    nextHopConnections: 2,
    keyCacheMs: 0,
    ...gatewayOverrides,
  });
  try {
    const stack = await startTestMailstack(ctx.databaseUrl, {
      ...overrides,
      inboundTransport: 'gateway',
      gatewayLmtp: { host: '127.0.0.1', port: gateway.port },
      ports: { ...overrides.ports, dovecotLmtp },
    });
    return { gateway, stack };
  } catch (err) {
    await gateway.stop();
    throw err;
  }
}

/**
 * Retries Postfix's deferred mail (`postqueue -f`) until `done` holds. It flushes only when
 * every queued message is deferred: a message still being tried when the flush comes would miss
 * it, be deferred just after, and wait out Postfix's back-off (5 minutes) instead.
 */
export async function retryQueueUntil(
  stack: TestMailstack,
  what: string,
  done: () => boolean | Promise<boolean>,
): Promise<void> {
  await waitUntil(what, async () => {
    if (await done()) return true;
    const queue = await stack.queue();
    if (queue.length > 0 && queue.every((m) => m.queue_name === 'deferred')) await stack.flush();
    return false;
  });
}

/** Waits until Postfix has tried every queued message once and deferred it; returns the queue. */
export async function waitUntilDeferred(stack: TestMailstack, what: string, count: number) {
  return waitUntil(what, async () => {
    const queue = await stack.queue();
    return queue.length === count && queue.every((m) => m.queue_name === 'deferred') && queue;
  });
}

/**
 * A failure of an SMTP exchange with the stack's MX, with what explains it added to its message:
 * whether Postfix's master runs, what holds the MX port (`ss`, where installed), and the end of
 * Postfix's log. A missing greeting says none of that by itself.
 */
export async function explainMxFailure(stack: TestMailstack, err: Error): Promise<Error> {
  const p = stack.settings.paths;
  const sockets = await new Promise<string>((resolve) =>
    execFile('ss', ['-tanp', `( sport = :${stack.ports.mx} or dport = :${stack.ports.mx} )`], (e, out) =>
      resolve(e ? `ss: ${e.message}` : out.trim()),
    ),
  );
  const log = await fs.readFile(p.postfixLogFile!, 'utf8').catch((e: Error) => e.message);
  err.message += [
    '',
    `Postfix master running: ${await postfixRunning(p.postfixQueueDir)}`,
    `sockets on the MX port ${stack.ports.mx}:`,
    sockets,
    'end of Postfix’s log:',
    log.split('\n').slice(-40).join('\n'),
  ].join('\n');
  return err;
}
