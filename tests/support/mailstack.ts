import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RunningMailstack, startMailstack, StartMailstackOptions } from '../../src/mailstack/start-mailstack';
import type { MailstackPorts } from '../../src/mailstack/settings';

/** `n` distinct free loopback ports: all held open at once, then released together. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

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
  const [mx, submission, imap, dovecotLmtp, auth, quotaStatus, reinject] = await freePorts(7);
  const ports: MailstackPorts = { mx, submission, imap, dovecotLmtp, auth, quotaStatus, reinject };
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
