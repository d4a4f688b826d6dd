import net from 'node:net';
import { DEFAULT_PORTS, type MailstackPorts } from './settings';

/**
 * `n` distinct free loopback ports, for stacks that share a machine (tests, bench): all are
 * held open at once, then released together.
 */
export async function freeLoopbackPorts(n: number): Promise<number[]> {
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

/** Every port of a private stack, free on loopback: none of the defaults, other stacks may be up. */
export async function freeMailstackPorts(): Promise<Required<MailstackPorts>> {
  const names = Object.keys(DEFAULT_PORTS) as Array<keyof MailstackPorts>;
  const ports = await freeLoopbackPorts(names.length);
  return Object.fromEntries(names.map((name, i) => [name, ports[i]])) as Required<MailstackPorts>;
}
