import { checkDomain, DomainCheckReport } from '../../src/dns/check-domain';
import { mergeSpf } from '../../src/dns/checks/spf';
import type { CheckStatus } from '../../src/dns/checks/common';
import { dkimTxtValue, DkimKeyRow, ensureDomainDkimKey } from '../../src/dns/dkim-keys';
import { startPlatformZone } from '../../src/dns/platform-zone';
import { CheckId, recordPlan } from '../../src/dns/record-plan';
import { createResolver, DnsRecord } from '../../src/dns/resolver';
import type { ZoneServer } from '../../src/dns/zone-server';
import { staticLookup, ZoneAnswer } from '../../src/dns/zone-server';
import { parseDomainName } from '../../src/names/domain-name';
import { createTestContext, TestContext } from '../support/context';
import { makeCollective, makeDomain } from '../support/factories';
import { forward, rr, startFixtureDns } from './fixture-dns';
import { testDnsSettings } from './settings';
import { asPublished } from './dns-env';

interface Case {
  name: string;
  domain: string;
  mode?: 'txt';
  /** Changes the published records (authoritative and, unless `recursive` says otherwise, recursive). */
  edit?: (records: DnsRecord[], d: string, key: DkimKeyRow) => DnsRecord[];
  /** The recursive resolver's (older) view, when it differs. */
  recursive?: (records: DnsRecord[], d: string) => DnsRecord[];
  /** `unreachable`: even the recursive resolvers never answer for the name. */
  nameserver?: 'dead' | 'servfail' | 'none' | 'unreachable' | 'private';
  expect: Partial<Record<CheckId | 'overall', CheckStatus>>;
  codes?: string[];
}

const without = (pred: (r: DnsRecord) => boolean) => (records: DnsRecord[]) =>
  records.filter((r) => !pred(r));
const isSpf = (d: string) => (r: DnsRecord) => r.name === d && r.type === 'TXT';
const replaceSpf = (value: string) => (records: DnsRecord[], d: string) => [
  ...records.filter((r) => !isSpf(d)(r)),
  rr.txt(d, value),
];

const cases: Case[] = [
  { name: 'a perfect domain', domain: 'perfect.example', expect: { overall: 'ok' } },
  {
    name: 'missing MX',
    domain: 'no-mx.example',
    edit: (rs, d) => without((r) => r.type === 'MX' && r.name === d)(rs),
    expect: { mx: 'error' },
    codes: ['mx_missing'],
  },
  {
    name: 'a foreign MX',
    domain: 'foreign-mx.example',
    edit: (rs, d) => [...rs.filter((r) => r.type !== 'MX'), rr.mx(d, 10, 'mx.other-provider.example')],
    expect: { mx: 'error' },
    codes: ['mx_foreign'],
  },
  {
    name: 'two SPF records',
    domain: 'two-spf.example',
    edit: (rs, d) => [...rs, rr.txt(d, 'v=spf1 include:_spf.other.example ~all')],
    expect: { spf: 'error' },
    codes: ['spf_multiple'],
  },
  {
    name: 'SPF over 10 lookups through nested includes',
    domain: 'spf-many.example',
    edit: replaceSpf('v=spf1 include:_spf.giroflee.test include:chain1.spf.example -all'),
    expect: { spf: 'error' },
    codes: ['spf_too_many_lookups'],
  },
  {
    name: 'SPF +all',
    domain: 'spf-plus-all.example',
    edit: replaceSpf('v=spf1 include:_spf.giroflee.test +all'),
    expect: { spf: 'warning' },
    codes: ['spf_all_pass'],
  },
  {
    name: 'SPF without the platform',
    domain: 'spf-other.example',
    edit: replaceSpf('v=spf1 include:_spf.other.example -all'),
    expect: { spf: 'error' },
    codes: ['spf_platform_missing'],
  },
  {
    name: 'a DKIM key mismatch',
    domain: 'dkim-mismatch.example',
    mode: 'txt',
    edit: (rs, d) => [
      ...rs.filter((r) => !r.name.endsWith(`_domainkey.${d}`)),
      rr.txt(
        `giroflee1._domainkey.${d}`,
        'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrongkey',
      ),
    ],
    expect: { dkim: 'error' },
    codes: ['dkim_key_mismatch'],
  },
  {
    name: 'a dangling DKIM CNAME',
    domain: 'dkim-dangling.example',
    edit: (rs, d) => [
      ...rs.filter((r) => r.name !== `giroflee1._domainkey.${d}`),
      rr.cname(`giroflee1._domainkey.${d}`, `giroflee1.${d}.old-provider.example`),
    ],
    expect: { dkim: 'error' },
    codes: ['dkim_dangling_cname'],
  },
  {
    name: 'a right DKIM CNAME whose target the platform zone does not answer',
    domain: 'dkim-zone-silent.example',
    expect: { dkim: 'unknown' },
    codes: ['dkim_platform_zone_silent'],
  },
  {
    name: 'DMARC p=none',
    domain: 'dmarc-none.example',
    edit: (rs, d) => [
      ...rs.filter((r) => r.name !== `_dmarc.${d}`),
      rr.txt(`_dmarc.${d}`, 'v=DMARC1; p=none; rua=mailto:d@x.example'),
    ],
    expect: { dmarc: 'warning' },
    codes: ['dmarc_p_none'],
  },
  {
    name: 'a broken DMARC record',
    domain: 'dmarc-broken.example',
    edit: (rs, d) => [
      ...rs.filter((r) => r.name !== `_dmarc.${d}`),
      rr.txt(`_dmarc.${d}`, 'v=DMARC1; p=quarantaine'),
    ],
    expect: { dmarc: 'error' },
    codes: ['dmarc_syntax'],
  },
  {
    name: 'a DKIM TXT split in several strings',
    domain: 'dkim-split.example',
    mode: 'txt',
    edit: (rs, d, key) => {
      const value = dkimTxtValue(key);
      return [
        ...rs.filter((r) => !r.name.endsWith(`_domainkey.${d}`)),
        rr.txt(`giroflee1._domainkey.${d}`, value.slice(0, 200), value.slice(200)),
      ];
    },
    expect: { dkim: 'ok', overall: 'ok' },
  },
  {
    name: 'a CNAME at the apex',
    domain: 'apex-cname.example',
    edit: (rs, d) => [...rs.filter((r) => r.name !== d), rr.cname(d, 'www.hosting.example')],
    expect: { mx: 'error' },
    codes: ['cname_at_apex'],
  },
  {
    name: 'a nameserver that never answers',
    domain: 'dead-ns.example',
    nameserver: 'dead',
    expect: { overall: 'unknown', mx: 'unknown', spf: 'unknown', dkim: 'unknown' },
  },
  {
    name: 'SERVFAIL from the nameserver',
    domain: 'servfail.example',
    nameserver: 'servfail',
    expect: { overall: 'unknown', mx: 'unknown', verification: 'unknown' },
    codes: ['dns_servfail'],
  },
  {
    name: 'a name that does not exist (NXDOMAIN)',
    domain: 'nxdomain.example',
    nameserver: 'none',
    expect: { overall: 'error', mx: 'error' },
    codes: ['domain_not_found'],
  },
  {
    name: 'DNS unreachable for the name',
    domain: 'dns-unreachable.example',
    nameserver: 'unreachable',
    expect: { overall: 'unknown', mx: 'unknown', spf: 'unknown', dkim: 'unknown' },
    codes: ['nameservers_unknown'],
  },
  {
    name: 'nameservers on a non-public address, never queried',
    domain: 'private-ns.example',
    nameserver: 'private',
    expect: { overall: 'error', mx: 'error', spf: 'error' },
    codes: ['nameservers_private'],
  },
  { name: 'an IDN domain', domain: 'école-idn.example', expect: { overall: 'ok' } },
  {
    name: 'an authoritative answer differing from the recursive one',
    domain: 'propagating.example',
    recursive: replaceSpf('v=spf1 -all'),
    expect: { spf: 'warning', overall: 'warning' },
    codes: ['propagation_pending'],
  },
];

describe('checkDomain against fixture nameservers', () => {
  let ctx: TestContext;
  let fixture: { port: number; stop(): Promise<void> };
  let zone: ZoneServer;
  const reports = new Map<string, DomainCheckReport>();

  beforeAll(async () => {
    ctx = await createTestContext();
    const collective = await makeCollective(ctx);
    const auth: DnsRecord[] = [];
    const recursive: DnsRecord[] = [
      rr.a('ns1.fixture.test', '127.0.0.2'),
      rr.a('ns-dead.fixture.test', '127.0.0.3'),
      // Not public (0.0.0.0/8), and not allowed by these tests' settings (only 127.0.0.0/8 is):
      // never queried. Were it queried by mistake, the packet would stay on this machine.
      rr.a('ns-private.fixture.test', '0.0.0.1'),
      rr.txt('_spf.giroflee.test', 'v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 -all'),
      rr.txt('_spf.other.example', 'v=spf1 ip4:198.51.100.1 -all'),
      // Each link: one include plus three more querying terms.
      ...Array.from({ length: 4 }, (_, i) =>
        rr.txt(
          `chain${i + 1}.spf.example`,
          `v=spf1 a mx exists:x.spf.example include:chain${i + 2}.spf.example -all`,
        ),
      ),
      rr.txt('chain5.spf.example', 'v=spf1 -all'),
    ];
    const servfail: string[] = [];
    const unreachable: string[] = [];
    const silentZone = `dkim-zone-silent.example.${testDnsSettings.dkimZone}`;
    for (const c of cases) {
      const d = parseDomainName(c.domain);
      const row = await makeDomain(ctx, { collectiveId: collective.id, name: d, status: 'active' });
      const [key] = await ensureDomainDkimKey(ctx, row.id);
      if (c.mode) await ctx.db('dkim_keys').where({ id: key.id }).update({ mode: c.mode });
      const keys = await ctx.db('dkim_keys').where({ domain_id: row.id });
      const full = await ctx.db('domains').where({ id: row.id }).first();
      const published = asPublished(recordPlan(testDnsSettings, full, keys));
      const records = c.edit ? c.edit(published, d, { ...key, mode: c.mode ?? key.mode }) : published;
      if (c.nameserver === 'none') continue;
      if (c.nameserver === 'unreachable') {
        unreachable.push(d);
        continue;
      }
      const ns = { dead: 'ns-dead', private: 'ns-private' }[c.nameserver as string] ?? 'ns1';
      recursive.push(rr.ns(d, `${ns}.fixture.test`));
      if (c.nameserver === 'servfail') servfail.push(d);
      auth.push(...records);
      recursive.push(...(c.recursive ? c.recursive(records, d) : records));
    }
    const authLookup = staticLookup(auth);
    const recursiveLookup = staticLookup(recursive);
    let zoneEndpoint = { host: '127.0.0.4', port: 0 };
    // A recursive resolver chases CNAMEs into other zones, here the platform's own.
    const resolve = async (name: string, type: string): Promise<ZoneAnswer> => {
      if (unreachable.some((d) => name.toLowerCase().endsWith(d))) return 'silent';
      // The platform zone knows nothing of this domain's keys, as when it lost them.
      if (name.toLowerCase().endsWith(silentZone)) return { rcode: 'NXDOMAIN', answers: [] };
      const a = name.toLowerCase().endsWith(testDnsSettings.dkimZone)
        ? await forward(zoneEndpoint, name, type)
        : recursiveLookup(name, type);
      if (a === 'silent' || !('answers' in a) || a.rcode !== 'NOERROR') return a;
      const last = a.answers[a.answers.length - 1];
      if (type === 'CNAME' || last?.type !== 'CNAME') return a;
      const rest = await resolve(last.value, type);
      if (rest === 'silent' || !('answers' in rest)) return rest;
      return { ...rest, answers: [...a.answers, ...rest.answers] };
    };
    fixture = await startFixtureDns({
      '127.0.0.1': resolve,
      '127.0.0.2': (name, type) =>
        servfail.some((d) => name.toLowerCase().endsWith(d)) ? { rcode: 'SERVFAIL' } : authLookup(name, type),
      '127.0.0.3': () => 'silent',
    });
    zoneEndpoint = { host: '127.0.0.4', port: fixture.port };
    ctx.config = {
      ...ctx.config,
      dnsServers: [{ host: '127.0.0.1', port: fixture.port }],
      dnsZoneListen: zoneEndpoint,
      dns: { ...testDnsSettings, authPort: fixture.port },
    };
    ctx.resolver = createResolver({
      servers: ctx.config.dnsServers!,
      authPort: fixture.port,
      timeoutMs: ctx.config.dns.timeoutMs,
      privateNameservers: ctx.config.dns.privateNameservers,
    });
    zone = await startPlatformZone(ctx);
    const domains = await ctx.db('domains').where({ collective_id: collective.id });
    for (let i = 0; i < domains.length; i += 6) {
      await Promise.all(
        domains.slice(i, i + 6).map(async (d) => reports.set(d.name, await checkDomain(ctx, d))),
      );
    }
  });

  afterAll(async () => {
    await zone?.stop();
    await fixture?.stop();
    await ctx.destroy();
  });

  it.each(cases)('$name', (c) => {
    const report = reports.get(parseDomainName(c.domain))!;
    const statuses = Object.fromEntries(report.checks.map((x) => [x.id, x.status]));
    const { overall, ...perCheck } = c.expect;
    if (overall) expect(report.status).toBe(overall);
    expect(statuses).toMatchObject(perCheck);
    const codes = report.checks.flatMap((x) => x.messages.map((m) => m.code));
    for (const code of c.codes ?? []) expect(codes).toContain(code);
    for (const check of report.checks) {
      for (const m of check.messages) {
        expect(m.text.fr.length).toBeGreaterThan(0);
        expect(m.text.en.length).toBeGreaterThan(0);
      }
    }
    // A nameserver in trouble is never an error: only definite answers are.
    if (c.nameserver === 'dead' || c.nameserver === 'servfail' || c.nameserver === 'unreachable') {
      expect(report.checks.filter((x) => x.status === 'error')).toEqual([]);
    }
  });

  it('gives the perfect domain no error and no unknown, every check ok', () => {
    const report = reports.get('perfect.example')!;
    expect(report.checks.map((c) => [c.id, c.status])).toEqual(report.checks.map((c) => [c.id, 'ok']));
    expect(report.checks.map((c) => c.id)).toEqual([
      'verification',
      'mx',
      'spf',
      'dkim',
      'dmarc',
      'mta-sts',
      'tls-rpt',
      'autoconfig',
      'autodiscover',
      'srv',
    ]);
  });

  it('asks to add the include to an existing SPF record, never to replace it', () => {
    const spf = reports.get('spf-other.example')!.checks.find((c) => c.id === 'spf')!;
    expect(spf.messages[0].publish?.[0]).toContain(
      '"v=spf1 include:_spf.other.example include:_spf.giroflee.test -all"',
    );
  });

  it('merges two SPF records into one: every sender kept, the platform included once, the strictest all', () => {
    const spf = reports.get('two-spf.example')!.checks.find((c) => c.id === 'spf')!;
    const [merged] = spf.expected;
    expect(merged.match(/include:_spf\.giroflee\.test/g)).toHaveLength(1);
    expect(merged).toContain('include:_spf.other.example');
    expect(merged).toMatch(/ -all"$/);
    expect(merged).not.toContain('~all');
    expect(spf.messages[0].publish).toEqual([merged]);
  });

  it('tells the member a right DKIM CNAME is right when the platform zone does not answer, never to replace it', () => {
    const dkim = reports.get('dkim-zone-silent.example')!.checks.find((c) => c.id === 'dkim')!;
    const codes = dkim.messages.map((m) => m.code);
    expect(codes).not.toContain('dkim_dangling_cname');
    expect(dkim.messages.every((m) => !m.publish)).toBe(true);
    expect(dkim.messages[0].text.en).toContain('is right');
  });

  it('says once that DNS is unreachable, and still shows every record to publish', () => {
    const report = reports.get('dns-unreachable.example')!;
    const messages = report.checks.flatMap((c) => c.messages);
    expect(messages.map((m) => m.code)).toEqual(['nameservers_unknown']);
    for (const check of report.checks) {
      expect(check.status).toBe('unknown');
      expect(check.expected.length).toBeGreaterThan(0);
    }
  });
});

describe('mergeSpf', () => {
  it.each([
    [
      ['v=spf1 include:_spf.giroflee.test -all', 'v=spf1 include:_spf.other.example ~all'],
      'v=spf1 include:_spf.giroflee.test include:_spf.other.example -all',
    ],
    [
      ['v=spf1 ip4:192.0.2.1 ~all', 'v=spf1 +IP4:192.0.2.1 mx ?all'],
      'v=spf1 ip4:192.0.2.1 mx include:_spf.giroflee.test ~all',
    ],
    [
      ['v=spf1 a', 'v=spf1 redirect=_spf.other.example'],
      'v=spf1 a include:_spf.giroflee.test redirect=_spf.other.example',
    ],
    [['v=spf1 mx all', 'v=spf1 a ?all'], 'v=spf1 mx a include:_spf.giroflee.test ?all'],
  ])('merges %j into %s', (records, merged) => {
    expect(mergeSpf(records, '_spf.giroflee.test')).toBe(merged);
  });
});
