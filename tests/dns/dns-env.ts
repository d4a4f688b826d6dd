import { createResolver, DnsRecord } from '../../src/dns/resolver';
import { startPlatformZone } from '../../src/dns/platform-zone';
import { staticLookup, ZoneAnswer } from '../../src/dns/zone-server';
import type { PlannedRecord } from '../../src/dns/record-plan';
import type { TestContext } from '../support/context';
import { forward, rr, startFixtureDns } from './fixture-dns';
import { testDnsSettings } from './settings';

/**
 * A small DNS world on loopback for one test file: a recursive resolver (127.0.0.1) that
 * chases CNAMEs into the platform zone, one authoritative server (127.0.0.2) for the
 * customers' zones, and giroflee's own platform zone (127.0.0.4), all on one free port.
 * `zone` is live: records pushed into it are served at once, by both views.
 */
export async function startDnsEnv(ctx: TestContext) {
  const zone: DnsRecord[] = [
    rr.a('ns1.fixture.test', '127.0.0.2'),
    rr.txt(testDnsSettings.spfInclude, 'v=spf1 ip4:192.0.2.10 -all'),
  ];
  let platform = { host: '127.0.0.4', port: 0 };
  const resolve = async (name: string, type: string): Promise<ZoneAnswer> => {
    const a = name.toLowerCase().endsWith(testDnsSettings.dkimZone)
      ? await forward(platform, name, type)
      : staticLookup(zone)(name, type);
    if (a === 'silent' || !('answers' in a) || a.rcode !== 'NOERROR' || type === 'CNAME') return a;
    const last = a.answers[a.answers.length - 1];
    if (last?.type !== 'CNAME') return a;
    const rest = await resolve(last.value, type);
    return rest === 'silent' || !('answers' in rest)
      ? rest
      : { ...rest, answers: [...a.answers, ...rest.answers] };
  };
  const fixture = await startFixtureDns({
    '127.0.0.1': resolve,
    '127.0.0.2': (name, type) => staticLookup(zone)(name, type),
  });
  platform = { host: '127.0.0.4', port: fixture.port };
  ctx.config = {
    ...ctx.config,
    dnsServers: [{ host: '127.0.0.1', port: fixture.port }],
    dnsZoneListen: platform,
    dns: { ...testDnsSettings, authPort: fixture.port },
  };
  ctx.resolver = createResolver({
    servers: ctx.config.dnsServers!,
    authPort: fixture.port,
    timeoutMs: testDnsSettings.timeoutMs,
    privateNameservers: testDnsSettings.privateNameservers,
  });
  const zoneServer = await startPlatformZone(ctx);
  return {
    zone,
    /** Delegates `domain` to the fixture's authoritative server. */
    delegate: (domain: string) => zone.push(rr.ns(domain, 'ns1.fixture.test')),
    /** Reloads the platform zone now rather than on the database's notification. */
    refreshPlatformZone: () => zoneServer.refresh(),
    async stop() {
      await zoneServer.stop();
      await fixture.stop();
    },
  };
}

/** The plan's records as DNS records, i.e. a domain whose owner published exactly what was asked. */
export function asPublished(plan: PlannedRecord[]): DnsRecord[] {
  return plan.map((r): DnsRecord => {
    if (r.type === 'MX') {
      const [priority, exchange] = r.value.split(' ');
      return rr.mx(r.name, Number(priority), exchange);
    }
    if (r.type === 'SRV') {
      const [, , port, target] = r.value.split(' ');
      return rr.srv(r.name, Number(port), target);
    }
    if (r.type === 'CNAME') return rr.cname(r.name, r.value);
    return rr.txt(r.name, r.value);
  });
}
