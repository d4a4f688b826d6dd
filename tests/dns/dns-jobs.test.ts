import { recheckDomain, runDnsTick } from '../../src/dns/dns-jobs';
import { domainRecords } from '../../src/dns/domain-records';
import type { DnsRecord } from '../../src/dns/resolver';
import { createTestContext, TestContext } from '../support/context';
import { makeAccount, makeCollective, makeDkimKeys, makeDomain } from '../support/factories';
import { asPublished, startDnsEnv } from './dns-env';
import { rr } from './fixture-dns';

describe('scheduled DNS re-checks', () => {
  let ctx: TestContext;
  let env: Awaited<ReturnType<typeof startDnsEnv>>;
  const sent: Array<{ to: string[]; subject: string; text: string }> = [];
  beforeAll(async () => {
    ctx = await createTestContext();
    env = await startDnsEnv(ctx);
    ctx.notifier = { send: async (m) => void sent.push(m) };
  });
  afterAll(async () => {
    await env.stop();
    await ctx.destroy();
  });

  it('mails each admin once when a domain goes from ok to error, and again only after it recovered', async () => {
    const c = await makeCollective(ctx);
    const admins = [
      await makeAccount(ctx, { collectiveId: c.id }),
      await makeAccount(ctx, { collectiveId: c.id }),
    ];
    await makeAccount(ctx, { collectiveId: c.id, role: 'member' });
    const d = await makeDomain(ctx, { collectiveId: c.id, name: 'watched.example' });
    const row = await ctx.db('domains').where({ id: d.id }).first();
    await makeDkimKeys(ctx, d.id);
    env.delegate(d.name);
    env.zone.push(...asPublished(await domainRecords(ctx, row)));
    await env.refreshPlatformZone();
    const mx = env.zone.filter((r) => r.type === 'MX' && r.name === d.name);
    const setMx = (records: DnsRecord[]) => {
      for (const r of mx) env.zone.splice(env.zone.indexOf(r), 1);
      env.zone.push(...records);
      mx.splice(0, mx.length, ...records);
    };

    expect((await recheckDomain(ctx, row)).status).toBe('ok');
    expect(sent).toHaveLength(0);

    setMx([rr.mx(d.name, 10, 'mx.elsewhere.example')]);
    expect((await recheckDomain(ctx, row)).status).toBe('error');
    expect(sent).toHaveLength(1);
    expect(sent[0].to.sort()).toEqual(admins.map((a) => a.email).sort());
    expect(sent[0].subject).toContain(d.name);
    expect(sent[0].text).toContain('mx1.giroflee.test');
    // The e-mail leads to the domain's screen in the console, where the checklist is.
    expect(sent[0].text).toContain(`${ctx.config.publicUrl}/console/domains/${d.name}`);
    expect(sent[0].text).toContain('-- English --');

    expect((await recheckDomain(ctx, row)).status).toBe('error');
    expect(sent).toHaveLength(1);

    setMx([rr.mx(d.name, 10, 'mx1.giroflee.test'), rr.mx(d.name, 20, 'mx2.giroflee.test')]);
    expect((await recheckDomain(ctx, row)).status).toBe('ok');
    setMx([]);
    expect((await recheckDomain(ctx, row)).status).toBe('error');
    expect(sent).toHaveLength(2);
    const stored = await ctx.db('domains').where({ id: d.id }).first();
    expect(stored.last_check.status).toBe('error');
  });

  it('verifies pending claims and checks domains not checked within the interval', async () => {
    const c = await makeCollective(ctx);
    const d = await makeDomain(ctx, { collectiveId: c.id, name: 'claimed.example', status: 'pending' });
    const row = await ctx.db('domains').where({ id: d.id }).first();
    env.delegate(d.name);
    env.zone.push(rr.txt(`_giroflee.${d.name}`, `giroflee-verification=${row.verification_token}`));
    await ctx.db('domains').whereNot({ id: d.id }).update({ last_checked_at: ctx.now() });

    expect(await runDnsTick(ctx, ctx.config.dns.recheckMinutes * 60_000)).toBe(1);
    const after = await ctx.db('domains').where({ id: d.id }).first();
    expect(after.status).toBe('active');
    expect(after.last_checked_at).not.toBeNull();
    expect(await runDnsTick(ctx, ctx.config.dns.recheckMinutes * 60_000)).toBe(0);
  });
});
