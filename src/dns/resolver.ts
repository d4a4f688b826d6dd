import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { getServers } from 'node:dns';
import net from 'node:net';
import DNS from 'dns2';
import { Endpoint, parseEndpoint } from '../config';
import type { Config } from '../config';

const { Packet } = DNS;

export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'NS' | 'SOA' | 'SRV' | 'TXT' | 'PTR';

export interface MxValue {
  exchange: string;
  priority: number;
}
export interface SrvValue {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** One resource record of an answer, its value normalized by type. */
export type DnsRecord =
  | { name: string; ttl: number; type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR'; value: string }
  | { name: string; ttl: number; type: 'MX'; value: MxValue }
  | { name: string; ttl: number; type: 'SRV'; value: SrvValue }
  /** The character-strings of the record, as published (RFC 1035 §3.3.14). */
  | { name: string; ttl: number; type: 'TXT'; value: string[] }
  | { name: string; ttl: number; type: 'SOA'; value: { primary: string; serial: number } };

/**
 * What a query came to. `nxdomain` and `nodata` are definite answers (RFC 2308 §2.1, §2.2);
 * `servfail`, `refused`, `timeout` and `error` are temporary: a check that meets them says
 * "unknown", never "error".
 */
export type DnsResult =
  | { status: 'ok'; records: DnsRecord[]; cnames: string[] }
  | { status: 'nodata'; cnames: string[] }
  | { status: 'nxdomain'; cnames: string[] }
  | { status: 'servfail' | 'refused' | 'timeout' | 'error'; detail?: string };

export const isDefinite = (r: DnsResult): r is Extract<DnsResult, { cnames: string[] }> =>
  r.status === 'ok' || r.status === 'nodata' || r.status === 'nxdomain';

export interface QueryOptions {
  /** Ask these servers (e.g. a domain's authoritative ones) instead of the configured resolvers. */
  servers?: Endpoint[];
  /** Ask over TCP from the start (RFC 7766); UDP falls back to TCP on truncation anyway. */
  tcp?: boolean;
  /** Give up when this time is reached (the check's deadline). */
  deadline?: number;
}

export interface DnsResolver {
  query(name: string, type: RecordType, opts?: QueryOptions): Promise<DnsResult>;
  /** Servers authoritative for the zone holding `name`, found through the configured resolvers. */
  authoritativeServers(name: string, deadline?: number): Promise<AuthoritativeLookup>;
  /** Queries sent since creation (for the benchmark). */
  readonly queriesSent: number;
}

export type AuthoritativeLookup =
  | { status: 'ok'; zone: string; servers: Endpoint[] }
  | { status: 'nxdomain' }
  /** The zone's nameservers resolve only to addresses the checks may not query (see below). */
  | { status: 'private'; zone: string; addresses: string[] }
  | { status: 'unknown'; detail: string };

/**
 * Ranges no public nameserver lives in: loopback, private (RFC 1918, RFC 4193), shared
 * (RFC 6598), link-local, unspecified, and their IPv4-mapped forms. A domain whose NS records
 * point there would have giroflee send queries inside the platform's own network.
 */
const NON_PUBLIC: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['::ffff:0:0', 96, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
];

function blockList(ranges: Array<[string, number, 'ipv4' | 'ipv6']>): net.BlockList {
  const list = new net.BlockList();
  for (const [address, prefix, family] of ranges) list.addSubnet(address, prefix, family);
  return list;
}

function parseCidr(cidr: string): [string, number, 'ipv4' | 'ipv6'] {
  const [address, prefix] = cidr.split('/');
  const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
  if (!net.isIP(address)) throw new Error(`invalid address range "${cidr}"`);
  return [address, prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix), family];
}

// RFC 1035 §4.1.1 response codes.
const NOERROR = 0;
const NXDOMAIN = 3;
const RCODE_STATUS: Record<number, 'servfail' | 'refused'> = {
  2: 'servfail',
  5: 'refused',
};

const NS_CACHE_MS = 300_000;

const lower = (n: string) => n.toLowerCase().replace(/\.$/, '');

interface RawResource {
  name: string;
  type: number;
  ttl: number;
  address?: string;
  domain?: string;
  ns?: string;
  exchange?: string;
  priority?: number;
  weight?: number;
  port?: number;
  target?: string;
  data?: string[] | string;
  primary?: string;
  serial?: number;
}

const typeName = (code: number): string | undefined =>
  Object.entries(Packet.TYPE).find(([, v]) => v === code)?.[0];

function normalize(rr: RawResource): DnsRecord | undefined {
  const base = { name: lower(rr.name), ttl: rr.ttl };
  switch (typeName(rr.type)) {
    case 'A':
      return { ...base, type: 'A', value: rr.address ?? '' };
    case 'AAAA':
      return { ...base, type: 'AAAA', value: rr.address ?? '' };
    case 'CNAME':
      return { ...base, type: 'CNAME', value: lower(rr.domain ?? '') };
    case 'PTR':
      return { ...base, type: 'PTR', value: lower(rr.domain ?? '') };
    case 'NS':
      return { ...base, type: 'NS', value: lower(rr.ns ?? '') };
    case 'MX':
      return {
        ...base,
        type: 'MX',
        value: { exchange: lower(rr.exchange ?? ''), priority: rr.priority ?? 0 },
      };
    case 'SRV':
      return {
        ...base,
        type: 'SRV',
        value: {
          priority: rr.priority ?? 0,
          weight: rr.weight ?? 0,
          port: rr.port ?? 0,
          target: lower(rr.target ?? ''),
        },
      };
    case 'TXT':
      return { ...base, type: 'TXT', value: Array.isArray(rr.data) ? rr.data : [rr.data ?? ''] };
    case 'SOA':
      return { ...base, type: 'SOA', value: { primary: lower(rr.primary ?? ''), serial: rr.serial ?? 0 } };
    default:
      return undefined;
  }
}

/**
 * Reads a response: follows the CNAME chain inside the answer section (RFC 1034 §3.6.2) and
 * keeps the records of the asked type at its end.
 */
function interpret(name: string, type: RecordType, response: DnsPacket): DnsResult {
  const rcode = response.header.rcode;
  const answers = (response.answers as unknown as RawResource[])
    .map(normalize)
    .filter((r): r is DnsRecord => !!r);
  let owner = lower(name);
  const cnames: string[] = [];
  if (type !== 'CNAME') {
    for (let i = 0; i < 16; i++) {
      const c = answers.find((r) => r.type === 'CNAME' && r.name === owner);
      if (!c || cnames.includes(c.value as string)) break;
      cnames.push(c.value as string);
      owner = c.value as string;
    }
  }
  if (rcode === NXDOMAIN) return { status: 'nxdomain', cnames };
  if (rcode !== NOERROR) return { status: RCODE_STATUS[rcode] ?? 'error', detail: `rcode ${rcode}` };
  const records = answers.filter((r) => r.type === type && r.name === owner);
  return records.length ? { status: 'ok', records, cnames } : { status: 'nodata', cnames };
}

type DnsPacket = DNS.Packet;

function encodeQuery(name: string, type: RecordType, id: number): Buffer {
  const q = new Packet();
  q.header.id = id;
  q.header.rd = 1;
  q.questions.push({ name, class: Packet.CLASS.IN, type: Packet.TYPE[type] } as DNS.Packet.Question);
  // RFC 6891 §6.2.5: advertise 4096-byte UDP answers, so DKIM keys need no TCP retry.
  q.additionals.push(Packet.Resource.EDNS([]));
  return q.toBuffer();
}

class TimeoutError extends Error {
  code = 'ETIMEOUT';
}

interface Waiting {
  server: Endpoint;
  resolve(p: DnsPacket): void;
}

/**
 * A few long-lived UDP sockets shared by all queries, answers matched by (id, server): a
 * socket per query costs more than the query on a busy checker. Several sockets keep some
 * source-port variety (RFC 5452 §4.5) and each has its own 16-bit id space.
 */
class UdpPool {
  private sockets: Array<{ socket: dgram.Socket; waiting: Map<number, Waiting> }> = [];

  constructor(private size: number) {}

  private pick(family: 'udp4' | 'udp6') {
    const fresh = () => {
      const socket = dgram.createSocket(family);
      const waiting = new Map<number, Waiting>();
      socket.on('message', (msg, rinfo) => {
        if (msg.length < 2) return;
        const w = waiting.get(msg.readUInt16BE(0));
        if (!w || rinfo.port !== w.server.port || rinfo.address !== w.server.host) return;
        let parsed: DnsPacket;
        try {
          parsed = Packet.parse(msg) as DnsPacket;
        } catch {
          return;
        }
        waiting.delete(parsed.header.id);
        w.resolve(parsed);
      });
      socket.on('error', () => undefined);
      socket.unref();
      return { socket, waiting, family };
    };
    const candidates = this.sockets.filter((s) => (s.socket as unknown as { type: string }).type === family);
    if (candidates.length < this.size) {
      const s = fresh();
      this.sockets.push(s);
      return s;
    }
    return candidates[crypto.randomInt(candidates.length)];
  }

  exchange(server: Endpoint, name: string, type: RecordType, timeoutMs: number): Promise<DnsPacket> {
    const slot = this.pick(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    let id = crypto.randomInt(0x10000);
    while (slot.waiting.has(id)) id = crypto.randomInt(0x10000);
    return new Promise<DnsPacket>((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.waiting.delete(id);
        reject(new TimeoutError('timeout'));
      }, timeoutMs);
      slot.waiting.set(id, {
        server,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
      slot.socket.send(encodeQuery(name, type, id), server.port, server.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        slot.waiting.delete(id);
        reject(err);
      });
    });
  }
}

/** RFC 1035 §4.2.2 / RFC 7766: two-byte length prefix, one query per connection here. */
function tcpExchange(
  server: Endpoint,
  name: string,
  type: RecordType,
  timeoutMs: number,
): Promise<DnsPacket> {
  const id = crypto.randomInt(0x10000);
  const buffer = encodeQuery(name, type, id);
  return new Promise<DnsPacket>((resolve, reject) => {
    const socket = net.connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(() => done(() => reject(new TimeoutError('timeout'))), timeoutMs);
    socket.on('error', (e) => done(() => reject(e)));
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(buffer.length);
      socket.write(Buffer.concat([len, buffer]));
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      try {
        const parsed = Packet.parse(received.subarray(2, 2 + received.readUInt16BE(0))) as DnsPacket;
        if (parsed.header.id !== id) throw new Error('mismatched id');
        done(() => resolve(parsed));
      } catch (e) {
        done(() => reject(e));
      }
    });
    socket.on('end', () => done(() => reject(new Error('connection closed before an answer'))));
  });
}

export interface ResolverOptions {
  /** The recursive resolvers; never a hard-coded public one. */
  servers: Endpoint[];
  /** Port the authoritative nameservers listen on (53; a fixture port in tests). */
  authPort: number;
  timeoutMs: number;
  /** Non-public ranges (CIDR) nameservers may still be queried in (DnsSettings.privateNameservers). */
  privateNameservers?: string[];
}

/** The resolver of checks, built on dns2's wire format, with its own sockets and timeouts. */
export function createResolver(options: ResolverOptions): DnsResolver {
  if (options.servers.length === 0) throw new Error('no DNS servers configured');
  let sent = 0;
  const udp = new UdpPool(4);
  const nonPublic = blockList(NON_PUBLIC);
  const allowed = blockList((options.privateNameservers ?? []).map(parseCidr));
  const queryable = (address: string) => {
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    return !nonPublic.check(address, family) || allowed.check(address, family);
  };

  async function ask(server: Endpoint, name: string, type: RecordType, tcp: boolean, deadline?: number) {
    const left =
      deadline === undefined ? options.timeoutMs : Math.min(options.timeoutMs, deadline - Date.now());
    if (left <= 0) return { status: 'timeout' } as DnsResult;
    sent++;
    try {
      let packet = tcp
        ? await tcpExchange(server, name, type, left)
        : await udp.exchange(server, name, type, left);
      if (!tcp && packet.header.tc) {
        sent++;
        packet = await tcpExchange(server, name, type, left);
      }
      return interpret(name, type, packet);
    } catch (e) {
      return e instanceof TimeoutError
        ? ({ status: 'timeout' } as DnsResult)
        : ({ status: 'error', detail: (e as NodeJS.ErrnoException).code ?? 'network' } as DnsResult);
    }
  }

  async function query(name: string, type: RecordType, opts: QueryOptions = {}): Promise<DnsResult> {
    const servers = opts.servers ?? options.servers;
    let last: DnsResult = { status: 'error', detail: 'no server' };
    // The first definite answer wins; a server that fails hands over to the next one, and a
    // lost datagram gets a second chance (RFC 1536 §1: retransmit, then try the next server).
    for (let attempt = 0; attempt < 2; attempt++) {
      for (const server of servers) {
        last = await ask(server, name, type, opts.tcp ?? false, opts.deadline);
        if (isDefinite(last)) return last;
      }
      // Only a lost answer is worth asking for again: SERVFAIL or REFUSED would say the same.
      if (last.status !== 'timeout') return last;
    }
    return last;
  }

  // Many domains share their nameservers: their addresses are kept for a while (RFC 2308 §5
  // allows caching negative answers too), bounded so a renumbered nameserver is seen soon.
  const nsCache = new Map<string, { until: number; addresses: Promise<string[]> }>();
  function nameserverAddresses(host: string, deadline?: number): Promise<string[]> {
    const hit = nsCache.get(host);
    if (hit && hit.until > Date.now()) return hit.addresses;
    const addresses = Promise.all([query(host, 'A', { deadline }), query(host, 'AAAA', { deadline })]).then(
      (results) => {
        if (!results.every(isDefinite)) nsCache.delete(host);
        return results.flatMap((r) => (r.status === 'ok' ? r.records.map((x) => x.value as string) : []));
      },
    );
    if (nsCache.size > 10_000) nsCache.clear();
    nsCache.set(host, { until: Date.now() + NS_CACHE_MS, addresses });
    return addresses;
  }

  async function authoritativeServers(name: string, deadline?: number): Promise<AuthoritativeLookup> {
    const labels = lower(name).split('.');
    // Walk up from the name to its zone cut: the first name with NS records (RFC 1034 §4.2.1).
    for (let i = 0; i < labels.length - 1; i++) {
      const zone = labels.slice(i).join('.');
      const ns = await query(zone, 'NS', { deadline });
      if (ns.status === 'nxdomain' && i === 0) return { status: 'nxdomain' };
      if (!isDefinite(ns)) return { status: 'unknown', detail: `NS ${zone}: ${ns.status}` };
      if (ns.status !== 'ok') continue;
      const hosts = ns.records.map((r) => r.value as string);
      const addresses = (await Promise.all(hosts.map((h) => nameserverAddresses(h, deadline)))).flat();
      if (addresses.length === 0) return { status: 'unknown', detail: `no address for the NS of ${zone}` };
      const servers = addresses.filter(queryable).map((host) => ({ host, port: options.authPort }));
      if (servers.length === 0) return { status: 'private', zone, addresses };
      return { status: 'ok', zone, servers };
    }
    return { status: 'unknown', detail: 'no zone cut found' };
  }

  return {
    query,
    authoritativeServers,
    get queriesSent() {
      return sent;
    },
  };
}

/** The resolver from configuration: GIROFLEE_DNS_SERVERS, else the system's resolvers. */
export function resolverFromConfig(config: Config): DnsResolver {
  let servers = config.dnsServers;
  if (!servers) {
    // Tests and development must name their (loopback) servers: no query may leave the host.
    if (config.development) throw new Error('GIROFLEE_DNS_SERVERS must be set outside production');
    servers = getServers().map((s) => (net.isIP(s) ? { host: s, port: 53 } : parseEndpoint(s, 53)));
  }
  return createResolver({
    servers,
    authPort: config.dns.authPort,
    timeoutMs: config.dns.timeoutMs,
    privateNameservers: config.dns.privateNameservers,
  });
}
