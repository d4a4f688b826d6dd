import DNS from 'dns2';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import type { Endpoint } from '../../src/config';
import { splitTxt } from '../../src/dns/zone-file';
import type { DnsRecord } from '../../src/dns/resolver';
import { startZoneServer, ZoneLookup, ZoneServer } from '../../src/dns/zone-server';

const { Packet } = DNS;

/**
 * Several fixture DNS servers on loopback addresses (127.0.0.x) sharing one port, as real
 * nameservers share port 53: the resolver under test then reaches any of them by address.
 * The port is a free one (free-ports.ts), retried when another address has it (never a fixed port).
 */
export async function startFixtureDns(
  views: Record<string, ZoneLookup>,
): Promise<{ port: number; stop(): Promise<void> }> {
  for (let attempt = 0; attempt < 30; attempt++) {
    // Claimed like every test port, so no parallel worker's stack is handed the same one.
    const [port] = await freeLoopbackPorts(1);
    const started: ZoneServer[] = [];
    try {
      for (const [host, lookup] of Object.entries(views))
        started.push(await startZoneServer({ host, port }, lookup));
      return { port, stop: async () => void (await Promise.all(started.map((s) => s.stop()))) };
    } catch {
      await Promise.all(started.map((s) => s.stop()));
    }
  }
  throw new Error('no free port for the fixture DNS servers');
}

/** Shorthands for fixture records. */
export const rr = {
  /** Strings longer than a character-string can hold are split, as zone files do. */
  txt: (name: string, ...strings: string[]): DnsRecord => ({
    name,
    ttl: 300,
    type: 'TXT',
    value: strings.flatMap(splitTxt),
  }),
  mx: (name: string, priority: number, exchange: string): DnsRecord => ({
    name,
    ttl: 300,
    type: 'MX',
    value: { priority, exchange },
  }),
  cname: (name: string, target: string): DnsRecord => ({ name, ttl: 300, type: 'CNAME', value: target }),
  a: (name: string, address: string): DnsRecord => ({ name, ttl: 300, type: 'A', value: address }),
  ns: (name: string, host: string): DnsRecord => ({ name, ttl: 300, type: 'NS', value: host }),
  srv: (name: string, port: number, target: string): DnsRecord => ({
    name,
    ttl: 300,
    type: 'SRV',
    value: { priority: 0, weight: 1, port, target },
  }),
};

/** Forwards a question to another server and relays its answer (a recursive resolver's job). */
export async function forward(server: Endpoint, name: string, type: string) {
  const client = DNS.UDPClient({ dns: server.host, port: server.port, retryOverTCP: false, timeout: 2000 });
  let res = await client(name, type);
  if (res.header.tc) res = await DNS.TCPClient({ dns: server.host, port: server.port })(name, type);
  const rcode = res.header.rcode;
  if (rcode === 2 || rcode === 5)
    return { rcode: rcode === 2 ? ('SERVFAIL' as const) : ('REFUSED' as const) };
  const answers = (res.answers as unknown as Array<Record<string, any>>).map((a) => {
    const t = Object.entries(Packet.TYPE).find(([, v]) => v === a.type)?.[0];
    const base = { name: String(a.name).toLowerCase(), ttl: a.ttl };
    if (t === 'TXT') return { ...base, type: 'TXT', value: a.data } as DnsRecord;
    if (t === 'CNAME') return { ...base, type: 'CNAME', value: a.domain } as DnsRecord;
    return { ...base, type: 'A', value: a.address } as DnsRecord;
  });
  return { rcode: rcode === 3 ? ('NXDOMAIN' as const) : ('NOERROR' as const), answers };
}
