import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RunningMailstack, startMailstack, StartMailstackOptions } from '../../src/mailstack/start-mailstack';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import type { MailstackPorts } from '../../src/mailstack/settings';
import { waitUntil } from './wait-until';

/** Free loopback ports for fakes that must be known before the stack starts. */
export const freePorts = freeLoopbackPorts;

export type TestMailstack = RunningMailstack;

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
  const [
    mx,
    submission,
    imap,
    dovecotLmtp,
    auth,
    quotaStatus,
    reinject,
    rspamdMilter,
    rspamdFuzzy,
    submissions,
    managesieve,
    doveadm,
  ] = await freeLoopbackPorts(12);
  const ports: MailstackPorts = {
    mx,
    submission,
    imap,
    dovecotLmtp,
    auth,
    quotaStatus,
    reinject,
    rspamdMilter,
    rspamdFuzzy,
    submissions,
    managesieve,
    doveadm,
  };
  const stack = await startMailstack({
    inboundTransport: 'dovecot',
    ...overrides,
    dir,
    databaseUrl,
    ports: { ...ports, ...overrides.ports },
  });
  return {
    ...stack,
    async stop() {
      await stack.stop();
      if (!overrides.dir) await fs.rm(dir, { recursive: true, force: true });
    },
  };
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
