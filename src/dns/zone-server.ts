import DNS from 'dns2';
import type { Endpoint } from '../config';
import type { DnsRecord } from './resolver';

const { Packet } = DNS;

/** What an authoritative server says to one question. `silent` sends nothing (a dead server). */
export type ZoneAnswer =
  | { rcode: 'NOERROR' | 'NXDOMAIN'; answers: DnsRecord[]; authority?: DnsRecord[] }
  | { rcode: 'SERVFAIL' | 'REFUSED' }
  | 'silent';

export type ZoneLookup = (name: string, type: string) => ZoneAnswer | Promise<ZoneAnswer>;

const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

/** A record in dns2's resource shape. */
function toResource(r: DnsRecord): Record<string, unknown> {
  const base = { name: r.name, type: Packet.TYPE[r.type], class: Packet.CLASS.IN, ttl: r.ttl };
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return { ...base, address: r.value };
    case 'CNAME':
    case 'PTR':
      return { ...base, domain: r.value };
    case 'NS':
      return { ...base, ns: r.value };
    case 'MX':
      return { ...base, exchange: r.value.exchange, priority: r.value.priority };
    case 'SRV':
      return { ...base, ...r.value };
    case 'TXT':
      return { ...base, data: r.value };
    case 'SOA':
      return {
        ...base,
        primary: r.value.primary,
        admin: `hostmaster.${r.value.primary}`,
        serial: r.value.serial,
        refresh: 3600,
        retry: 600,
        expiration: 604800,
        minimum: 300,
      };
  }
}

/**
 * Answers from a static set of records as an authoritative server does (RFC 1034 §4.3.2): the
 * records of the asked type, or the CNAME at the name (and its chain inside the set), NODATA
 * when the name exists with other types (or has names below it), NXDOMAIN otherwise. The SOA
 * goes in the authority section of negative answers (RFC 2308 §3).
 */
export function staticLookup(
  records: DnsRecord[],
  soa?: DnsRecord,
): (name: string, type: string) => ZoneAnswer {
  const byName = new Map<string, DnsRecord[]>();
  for (const r of records) {
    const list = byName.get(r.name) ?? [];
    list.push(r);
    byName.set(r.name, list);
  }
  // Every owner name and every name above it exists (RFC 8020: an empty non-terminal is NODATA).
  const names = new Set<string>();
  for (const r of records) {
    const labels = r.name.split('.');
    for (let i = 0; i < labels.length; i++) names.add(labels.slice(i).join('.'));
  }
  const exists = (name: string) => names.has(name);
  return (question, type) => {
    let name = question.toLowerCase().replace(/\.$/, '');
    const answers: DnsRecord[] = [];
    for (let hops = 0; hops < 8; hops++) {
      const here = byName.get(name) ?? [];
      const wanted = here.filter((r) => r.type === type);
      if (wanted.length) return { rcode: 'NOERROR', answers: [...answers, ...wanted] };
      const cname = here.find((r) => r.type === 'CNAME');
      if (!cname || type === 'CNAME') break;
      answers.push(cname);
      name = cname.value as string;
    }
    const authority = soa ? [soa] : [];
    if (answers.length || exists(name)) return { rcode: 'NOERROR', answers, authority };
    return { rcode: 'NXDOMAIN', answers: [], authority };
  };
}

export interface ZoneServer {
  port: number;
  stop(): Promise<void>;
}

/** An authoritative DNS server (dns2) over UDP and TCP on one address and port. */
export async function startZoneServer(listen: Endpoint, lookup: ZoneLookup): Promise<ZoneServer> {
  const server = DNS.createServer({
    udp: true,
    tcp: true,
    handle: async (request, send) => {
      const [question] = request.questions;
      const response = Packet.createResponseFromRequest(request);
      response.header.aa = 1;
      const typeName = Object.entries(Packet.TYPE).find(([, v]) => v === question?.type)?.[0] ?? '';
      let answer: ZoneAnswer;
      try {
        answer = question ? await lookup(question.name, typeName) : { rcode: 'REFUSED' };
      } catch {
        answer = { rcode: 'SERVFAIL' };
      }
      if (answer === 'silent') return;
      response.header.rcode = RCODES[answer.rcode];
      if ('answers' in answer) {
        response.answers = answer.answers.map(toResource) as unknown as DNS.Packet.Resource[];
        response.authorities = (answer.authority ?? []).map(toResource) as unknown as DNS.Packet.Resource[];
      }
      await send(response);
    },
  });
  const failed = new Promise<never>((_, reject) => server.once('error', (e: Error) => reject(e)));
  const addresses = await Promise.race([
    server.listen({
      udp: { port: listen.port, address: listen.host },
      tcp: { port: listen.port, address: listen.host },
    }),
    failed,
  ]).catch(async (e) => {
    await Promise.race([server.close(), new Promise((r) => setTimeout(r, 100))]);
    throw e;
  });
  return {
    port: (addresses.udp as { port: number }).port,
    stop: () => server.close(),
  };
}
