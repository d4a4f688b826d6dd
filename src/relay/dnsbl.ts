import net from 'node:net';
import DNS from 'dns2';
import type { Endpoint } from '../config';
import type { DnsblListing } from './relays';

export type DnsblAnswer =
  | { status: 'listed'; answers: string[] }
  | { status: 'clear' }
  /** No definite answer (timeout, SERVFAIL): neither listed nor clear. */
  | { status: 'unknown'; detail: string };

/** Looks up one DNSBL query name (an A query). Injected: tests serve a zone from a local dns2. */
export type DnsblQuery = (name: string) => Promise<DnsblAnswer>;

/**
 * The query name of an IP in a DNSBL zone: RFC 5782 §2.1 (IPv4, octets reversed) and §2.4
 * (IPv6, 32 nibbles reversed).
 */
export function dnsblName(ip: string, zone: string): string {
  if (net.isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.${zone}`;
  const groups = ip.split('::');
  const head = groups[0] ? groups[0].split(':') : [];
  const tail = groups.length > 1 && groups[1] ? groups[1].split(':') : [];
  const full = [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail];
  const nibbles = full.map((g) => g.padStart(4, '0')).join('');
  return `${nibbles.split('').reverse().join('.')}.${zone}`;
}

const NXDOMAIN = 3;

/** DNSBL queries through dns2 to the given resolvers, always named explicitly. */
export function dns2DnsblQuery(servers: Endpoint[], timeoutMs: number): DnsblQuery {
  if (servers.length === 0) throw new Error('DNSBL lookups need at least one resolver');
  const clients = servers.map((s) => DNS.UDPClient({ dns: s.host, port: s.port, timeout: timeoutMs }));
  return async (name) => {
    let detail = 'no resolver answered';
    for (const client of clients) {
      try {
        const response = await client(name, 'A');
        if (response.header.rcode === NXDOMAIN) return { status: 'clear' };
        if (response.header.rcode !== 0) {
          detail = `rcode ${response.header.rcode}`;
          continue;
        }
        const answers = response.answers
          .filter((a) => a.type === DNS.Packet.TYPE.A && a.address)
          .map((a) => a.address as string);
        // RFC 5782 §2.1: listings answer 127.0.0.0/8; anything else is not a listing.
        const listed = answers.filter((a) => a.startsWith('127.'));
        return listed.length ? { status: 'listed', answers: listed } : { status: 'clear' };
      } catch (e) {
        detail = (e as Error).message;
      }
    }
    return { status: 'unknown', detail };
  };
}

/** Every listing of these IPs in these zones; `unknown` counts lookups that got no answer. */
export async function checkDnsbl(
  ips: string[],
  zones: string[],
  query: DnsblQuery,
): Promise<{ listings: DnsblListing[]; unknown: number }> {
  const listings: DnsblListing[] = [];
  let unknown = 0;
  const lookups = ips.flatMap((ip) => zones.map((zone) => ({ ip, zone })));
  const answers = await Promise.all(lookups.map((l) => query(dnsblName(l.ip, l.zone))));
  answers.forEach((a, i) => {
    if (a.status === 'listed') listings.push({ ...lookups[i], answer: a.answers.join(',') });
    if (a.status === 'unknown') unknown += 1;
  });
  return { listings, unknown };
}
