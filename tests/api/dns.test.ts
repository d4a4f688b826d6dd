import http from 'node:http';
import type { Actor } from '../../src/auth/actor';
import { useTestApp } from '../support/app';
import {
  makeAccount,
  makeCollective,
  makeDkimKeys,
  makeDomain,
  makeRacine,
  makeTenant,
} from '../support/factories';
import { loadAccountActor } from '../../src/auth/sessions';
import { startDnsEnv, asPublished } from '../dns/dns-env';
import { rr } from '../dns/fixture-dns';
import { domainRecords } from '../../src/dns/domain-records';

describe('DNS API', () => {
  let env: Awaited<ReturnType<typeof startDnsEnv>>;
  let tenant: Awaited<ReturnType<typeof makeTenant>>;
  let stranger: Awaited<ReturnType<typeof makeTenant>>;
  let racine: Actor;
  const sent: Array<{ to: string[]; subject: string; text: string }> = [];
  const app = useTestApp({
    setup: async (ctx) => {
      env = await startDnsEnv(ctx);
      ctx.notifier = { send: async (m) => void sent.push(m) };
      return () => env.stop();
    },
  });

  beforeAll(async () => {
    tenant = await makeTenant(app.ctx);
    stranger = await makeTenant(app.ctx);
    racine = (await makeRacine(app.ctx)).actor;
    await makeDkimKeys(app.ctx, tenant.domain.id);
    env.delegate(tenant.domain.name);
    env.zone.push(
      ...asPublished(
        await domainRecords(app.ctx, await app.ctx.db('domains').where({ id: tenant.domain.id }).first()),
      ),
    );
    await env.refreshPlatformZone();
  });

  describe('GET /api/v1/domains/:name/records', () => {
    it('gives the record plan as JSON with a purpose in French and English', async () => {
      const res = await app.client.request('GET', `/api/v1/domains/${tenant.domain.name}/records`, {
        as: tenant.actors.member,
      });
      expect(res.status).toBe(200);
      const ids = res.body.map((r: { id: string }) => r.id);
      expect(ids).toEqual(
        expect.arrayContaining([
          'verification',
          'mx-1',
          'mx-2',
          'spf',
          'dkim-giroflee1',
          'dkim-giroflee2',
          'dmarc',
          'mta-sts',
          'tls-rpt',
          'autoconfig',
          'autodiscover',
          'srv-submissions',
          'srv-imaps',
        ]),
      );
      const dkim = res.body.find((r: { id: string }) => r.id === 'dkim-giroflee1');
      expect(dkim).toMatchObject({
        type: 'CNAME',
        name: `giroflee1._domainkey.${tenant.domain.name}`,
        value: `giroflee1.${tenant.domain.name}.dkim.giroflee.test`,
        ttl: 3600,
      });
      expect(dkim.purpose.fr).toBeTruthy();
      expect(dkim.purpose.en).toBeTruthy();
    });

    it('gives a BIND zone snippet with Accept: text/dns', async () => {
      const res = await app.client.request('GET', `/api/v1/domains/${tenant.domain.name}/records`, {
        as: tenant.actors.member,
        headers: { accept: 'text/dns' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/dns/);
      expect(res.text).toContain(`${tenant.domain.name}.\t3600\tIN\tMX\t10 mx1.giroflee.test.`);
      expect(res.text).toContain(`_dmarc.${tenant.domain.name}.\t3600\tIN\tTXT\t"v=DMARC1; p=quarantine"`);
    });
  });

  it.each([
    ['GET', 'records'],
    ['POST', 'check'],
    ['POST', 'verify'],
    ['GET', 'dkim'],
    ['PATCH', 'dkim'],
    ['POST', 'dkim/rotate'],
  ])('answers %s …/%s of another collective’s domain with 404', async (method, path) => {
    const res = await app.client.request(method, `/api/v1/domains/${tenant.domain.name}/${path}`, {
      as: stranger.actors.admin,
      body: method === 'PATCH' ? { mode: 'txt' } : undefined,
    });
    expect(res.status).toBe(404);
    expect(
      (await app.ctx.db('dkim_keys').where({ domain_id: tenant.domain.id }).first())?.mode ?? 'delegated',
    ).toBe('delegated');
  });

  it('checks a domain now and stores the result', async () => {
    const res = await app.client.request('POST', `/api/v1/domains/${tenant.domain.name}/check`, {
      as: tenant.actors.member,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ domain: tenant.domain.name, status: 'ok' });
    expect(res.body.checks).toHaveLength(10);
    const row = await app.ctx.db('domains').where({ id: tenant.domain.id }).first();
    expect(row.last_check.status).toBe('ok');
    expect(row.last_checked_at).not.toBeNull();
  });

  it('shows DKIM key states without any private part', async () => {
    const res = await app.client.request('GET', `/api/v1/domains/${tenant.domain.name}/dkim`, {
      as: tenant.actors.member,
    });
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ selector: 'giroflee1', state: 'active', mode: 'delegated' });
    expect(res.text).not.toMatch(/private|BEGIN|v1:/i);
  });

  it('switches DKIM to TXT mode for an admin, audited, and the plan asks for the key itself', async () => {
    const c = await makeCollective(app.ctx);
    const admin = (await loadAccountActor(app.ctx, (await makeAccount(app.ctx, { collectiveId: c.id })).id))!;
    const d = await makeDomain(app.ctx, { collectiveId: c.id, name: 'txt-owner.example' });
    const path = `/api/v1/domains/${d.name}/dkim`;
    expect((await app.client.request('PATCH', path, { as: admin, body: { mode: 'sideways' } })).status).toBe(
      400,
    );
    const res = await app.client.request('PATCH', path, { as: admin, body: { mode: 'txt' } });
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ mode: 'txt', state: 'active' });
    const plan = await app.client.request('GET', `${path.replace('/dkim', '/records')}`, { as: admin });
    const dkim = plan.body.find((r: { id: string }) => r.id === 'dkim-giroflee1');
    expect(dkim).toMatchObject({ type: 'TXT', value: `v=DKIM1; k=rsa; p=${res.body.items[0].publicKey}` });
    expect(await app.ctx.db('audit_log').where({ action: 'dkim.mode', target_id: d.id })).toHaveLength(1);
  });

  it('lets only a racine start a DKIM rotation', async () => {
    const path = `/api/v1/domains/${tenant.domain.name}/dkim/rotate`;
    expect((await app.client.request('POST', path, { as: tenant.actors.admin })).status).toBe(403);
    const res = await app.client.request('POST', path, { as: racine });
    expect(res.status).toBe(200);
    expect(res.body.items.map((k: { state: string }) => k.state).sort()).toEqual(['active', 'pending']);
    const audit = await app.ctx.db('audit_log').where({ action: 'dkim.rotate' }).first();
    expect(audit.actor_type).toBe('account');
  });

  describe('POST /api/v1/domains/:name/verify', () => {
    it('keeps the domain pending and says what to publish while the proof is absent', async () => {
      const c = await makeCollective(app.ctx);
      const admin = (await loadAccountActor(
        app.ctx,
        (await makeAccount(app.ctx, { collectiveId: c.id })).id,
      ))!;
      const d = await makeDomain(app.ctx, {
        collectiveId: c.id,
        name: 'unproven.example',
        status: 'pending',
      });
      env.delegate(d.name);
      const res = await app.client.request('POST', `/api/v1/domains/${d.name}/verify`, { as: admin });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ verified: false, status: 'pending', check: { status: 'error' } });
      expect(res.body.check.messages[0].publish[0]).toContain(`_giroflee.${d.name}.`);
      expect((await app.ctx.db('domains').where({ id: d.id }).first()).status).toBe('pending');
    });

    it('activates the first claim to prove ownership and drops the others with a notice', async () => {
      const winner = await makeCollective(app.ctx);
      const loser = await makeCollective(app.ctx);
      const winnerAdmin = (await loadAccountActor(
        app.ctx,
        (await makeAccount(app.ctx, { collectiveId: winner.id })).id,
      ))!;
      const loserAdmin = await makeAccount(app.ctx, { collectiveId: loser.id });
      const name = 'contested.example';
      const mine = await makeDomain(app.ctx, { collectiveId: winner.id, name, status: 'pending' });
      const theirs = await makeDomain(app.ctx, { collectiveId: loser.id, name, status: 'pending' });
      env.delegate(name);
      const token = (await app.ctx.db('domains').where({ id: mine.id }).first()).verification_token;
      env.zone.push(rr.txt(`_giroflee.${name}`, `giroflee-verification=${token}`));
      sent.length = 0;

      const res = await app.client.request('POST', `/api/v1/domains/${name}/verify`, { as: winnerAdmin });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ verified: true, status: 'active' });
      expect((await app.ctx.db('domains').where({ id: mine.id }).first()).status).toBe('active');
      expect(await app.ctx.db('domains').where({ id: theirs.id }).first()).toBeUndefined();
      const dropped = await app.ctx
        .db('audit_log')
        .where({ action: 'domain.claim_dropped', target_id: theirs.id });
      expect(dropped).toHaveLength(1);
      expect(dropped[0].collective_id).toBe(loser.id);
      expect(
        await app.ctx.db('audit_log').where({ action: 'domain.verify', target_id: mine.id }),
      ).toHaveLength(1);
      expect(sent).toHaveLength(1);
      expect(sent[0].to).toEqual([loserAdmin.email]);
      expect(sent[0].subject).toContain(name);
      expect(await app.ctx.db('dkim_keys').where({ domain_id: mine.id, state: 'active' })).toHaveLength(1);
    });
  });

  describe('GET /.well-known/mta-sts.txt', () => {
    const get = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(app.client.url);
        http
          .get(
            { host: url.hostname, port: url.port, path: '/.well-known/mta-sts.txt', headers: { host } },
            (res) => {
              let body = '';
              res.on('data', (c) => (body += c));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            },
          )
          .on('error', reject);
      });

    it('serves the policy for an active domain', async () => {
      const res = await get(`mta-sts.${tenant.domain.name}`);
      expect(res.status).toBe(200);
      expect(res.body).toBe(
        'version: STSv1\r\nmode: enforce\r\nmx: mx1.giroflee.test\r\nmx: mx2.giroflee.test\r\nmax_age: 604800\r\n',
      );
    });

    it('answers 404 for a name that is not an active domain', async () => {
      expect((await get('mta-sts.unknown.example')).status).toBe(404);
      expect((await get(tenant.domain.name)).status).toBe(404);
    });
  });
});
