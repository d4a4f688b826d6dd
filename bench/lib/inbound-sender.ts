import { spawn } from 'node:child_process';
import { staticLookup, startZoneServer, type ZoneServer } from '../../src/dns/zone-server';

/**
 * The outside sender of the inbound benches (bench/inbound, bench/defence): Postfix's
 * smtp-source writes the messages (its headers and a body of `X` lines of the asked size), from a
 * domain whose DNS the bench serves on loopback.
 */
export const SENDER_DOMAIN = 'remote.example';
export const SENDER = `bench@${SENDER_DOMAIN}`;
export const SENDER_HELO = `bench.${SENDER_DOMAIN}`;

/**
 * What the defence asks DNS about the bench's sender: its SPF record passes the loopback client
 * and its DMARC policy is published (p=none: evaluated, never refused), as for ordinary mail.
 */
export function startSenderDns(port: number): Promise<ZoneServer> {
  const txt = (name: string, value: string) => ({ name, ttl: 300, type: 'TXT' as const, value: [value] });
  return startZoneServer(
    { host: '127.0.0.1', port },
    staticLookup([
      txt(SENDER_DOMAIN, 'v=spf1 ip4:127.0.0.1 -all'),
      txt(`_dmarc.${SENDER_DOMAIN}`, 'v=DMARC1; p=none'),
    ]),
  );
}

/** smtp-source sends `count` messages of `size` bytes to `to` over `sessions` sessions. */
export function smtpSource(
  mxPort: number,
  to: string,
  count: number,
  size: number,
  sessions: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'smtp-source',
      [
        ...['-s', String(sessions), '-m', String(count), '-l', String(size), '-S', 'bench'],
        ...['-f', SENDER, '-t', to, '-M', SENDER_HELO, `127.0.0.1:${mxPort}`],
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`smtp-source exited ${code}`))));
  });
}
