import { checkDomain } from '../../src/dns/check-domain';
import { getSigningKeys } from '../../src/dns/dkim-keys';
import { rotateDkimKey } from '../../src/dns/commands/rotate-dkim-key';
import { advanceDkimRotation } from '../../src/dns/dkim-rotation';
import { domainRecords } from '../../src/dns/domain-records';
import { dkimTxtValue } from '../../src/dns/dkim-keys';
import { createTestContext, TestContext } from '../support/context';
import { makeCollective, makeDkimKeys, makeDomain } from '../support/factories';
import { asPublished, startDnsEnv } from './dns-env';
import { rr } from './fixture-dns';

const DAY = 24 * 3600 * 1000;

describe('DKIM rotation end to end', () => {
  let ctx: TestContext;
  let env: Awaited<ReturnType<typeof startDnsEnv>>;
  let collectiveId: string;
  beforeAll(async () => {
    ctx = await createTestContext();
    env = await startDnsEnv(ctx);
    collectiveId = (await makeCollective(ctx)).id;
  });
  afterAll(async () => {
    await env?.stop();
    await ctx.destroy();
  });

  const keyAt = async (name: string) => {
    const r = await ctx.resolver!.query(name, 'TXT');
    return r.status === 'ok' ? r.records.map((x) => (x.type === 'TXT' ? x.value.join('') : '')) : r.status;
  };

  it('rotates a delegated domain through the platform zone with no change to the customer’s DNS', async () => {
    const d = await makeDomain(ctx, { collectiveId, name: 'rotating.example' });
    await makeDkimKeys(ctx, d.id);
    env.delegate(d.name);
    env.zone.push(...asPublished(await domainRecords(ctx, { ...d, verification_token: 'x' })));
    const customerZone = JSON.stringify(env.zone);
    await env.refreshPlatformZone();

    const first = await ctx.db('dkim_keys').where({ domain_id: d.id, state: 'active' }).first();
    expect(first.selector).toBe('giroflee1');
    expect(await keyAt(`giroflee1._domainkey.${d.name}`)).toEqual([dkimTxtValue(first)]);
    expect(
      (await checkDomain(ctx, { ...d, status: 'active', verification_token: 'x' }, { only: ['dkim'] }))
        .status,
    ).toBe('ok');

    // Nothing is due before the rotation interval.
    ctx.clock.advance(179 * DAY);
    expect(await advanceDkimRotation(ctx, d)).toEqual([]);

    ctx.clock.advance(1 * DAY);
    expect(await advanceDkimRotation(ctx, d)).toEqual(['rotation started']);
    const pending = await ctx.db('dkim_keys').where({ domain_id: d.id, state: 'pending' }).first();
    expect(pending.selector).toBe('giroflee2');

    await env.refreshPlatformZone();
    expect(await keyAt(`giroflee2._domainkey.${d.name}`)).toEqual([dkimTxtValue(pending)]);
    expect(await advanceDkimRotation(ctx, d)).toEqual(['activated giroflee2']);
    const signing = await getSigningKeys(ctx, d.name);
    expect(signing.map((k) => k.selector)).toEqual(['giroflee2']);
    expect(await ctx.db('dkim_keys').where({ id: first.id }).first()).toMatchObject({ state: 'retiring' });

    // The previous key stays published for mail in transit, then goes.
    await env.refreshPlatformZone();
    expect(await keyAt(`giroflee1._domainkey.${d.name}`)).toEqual([dkimTxtValue(first)]);
    ctx.clock.advance(6 * DAY);
    expect(await advanceDkimRotation(ctx, d)).toEqual([]);
    ctx.clock.advance(1 * DAY);
    expect(await advanceDkimRotation(ctx, d)).toEqual(['retired giroflee1']);
    await env.refreshPlatformZone();
    expect(await keyAt(`giroflee1._domainkey.${d.name}`)).toBe('nxdomain');

    const report = await checkDomain(
      ctx,
      { ...d, status: 'active', verification_token: 'x' },
      { only: ['dkim'] },
    );
    expect(report.status).toBe('ok');
    expect(JSON.stringify(env.zone)).toBe(customerZone);
    const audit = await ctx.db('audit_log').where({ target_type: 'dkim_key' }).orderBy('id').pluck('action');
    expect(audit).toEqual(['dkim.rotate', 'dkim.activate', 'dkim.retire']);
  });

  it('waits for the owner’s TXT record in TXT mode and says what to publish', async () => {
    const d = await makeDomain(ctx, { collectiveId, name: 'txt-mode.example' });
    env.delegate(d.name);
    await makeDkimKeys(ctx, d.id);
    await ctx.db('dkim_keys').where({ domain_id: d.id }).update({ mode: 'txt' });
    env.zone.push(...asPublished(await domainRecords(ctx, { ...d, verification_token: 'x' })));

    const asSystem = { ...ctx, actor: { type: 'system', label: 'test' } as const };
    await rotateDkimKey(asSystem, d);
    await expect(rotateDkimKey(asSystem, d)).rejects.toMatchObject({ code: 'dkim_rotation_in_progress' });
    expect(await advanceDkimRotation(ctx, d)).toEqual([]);

    const pending = await ctx.db('dkim_keys').where({ domain_id: d.id, state: 'pending' }).first();
    const report = await checkDomain(
      ctx,
      { ...d, status: 'active', verification_token: 'x' },
      { only: ['dkim'] },
    );
    const message = report.checks[0].messages.find((m) => m.code === 'dkim_pending_publish');
    expect(message?.publish?.[0]).toContain(`giroflee2._domainkey.${d.name}.`);
    expect(message?.publish?.[0]).toContain(pending.public_key);

    env.zone.push(rr.txt(`giroflee2._domainkey.${d.name}`, dkimTxtValue(pending)));
    expect(await advanceDkimRotation(ctx, d)).toEqual(['activated giroflee2']);
  });
});
