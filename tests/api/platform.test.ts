import net from 'node:net';
import { Keyring } from '../../src/encryption/master-key';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import { startDnsEnv } from '../dns/dns-env';
import { useTestApp } from '../support/app';
import { makeDkimKeys, makeDomain, makeRacine, makeRelay, makeTenant } from '../support/factories';

describe('/api/v1/platform', () => {
  let inbound: net.Server;
  const app = useTestApp({
    setup: async (ctx) => {
      const env = await startDnsEnv(ctx);
      // Something listens where the inbound gateway should; the outbound gateway's port is free.
      const [lmtp, outbound, dovecot] = await freeLoopbackPorts(3);
      inbound = net.createServer((s) => s.end());
      await new Promise<void>((r) => inbound.listen(lmtp, '127.0.0.1', r));
      ctx.config = {
        ...ctx.config,
        lmtp: { host: '127.0.0.1', port: lmtp },
        outbound: { host: '127.0.0.1', port: outbound },
        dovecotLmtp: { host: '127.0.0.1', port: dovecot },
      };
      return async () => {
        await new Promise((r) => inbound.close(r));
        await env.stop();
      };
    },
  });
  let racine: Awaited<ReturnType<typeof makeRacine>>;
  let tenant: Awaited<ReturnType<typeof makeTenant>>;

  beforeAll(async () => {
    racine = await makeRacine(app.ctx);
    tenant = await makeTenant(app.ctx);
  });

  describe('GET /api/v1/platform/health', () => {
    it('says, item by item, what answers on this node and what does not, and why', async () => {
      const broken = await makeDomain(app.ctx, { collectiveId: tenant.collective.id });
      await app.ctx
        .db('domains')
        .where({ id: broken.id })
        .update({ last_check: JSON.stringify({ status: 'error' }), last_checked_at: app.ctx.now() });
      await makeDomain(app.ctx, { collectiveId: tenant.collective.id, status: 'pending' });
      await makeRelay(app.ctx, { name: 'down-one' });
      await app.ctx.db('relays').update({ health_status: 'down' });

      const res = await app.client.request('GET', '/api/v1/platform/health', { as: racine.actor });
      expect(res.status).toBe(200);
      const item = (id: string) => res.body.items.find((i: { id: string }) => i.id === id);
      expect(item('database')).toMatchObject({ status: 'ok', facts: { state: 'ready' } });
      expect(item('inbound-gateway')).toMatchObject({ status: 'ok' });
      expect(item('outbound-gateway')).toMatchObject({ status: 'error', facts: { error: 'ECONNREFUSED' } });
      expect(item('outbound-gateway').message.fr).toContain('Rien ne répond');
      expect(item('dns-zone')).toMatchObject({ status: 'ok', facts: { zone: app.ctx.config.dns.dkimZone } });
      // No Postfix for this test's configuration: it says so rather than inventing a number.
      expect(item('postfix').status).toBe('unknown');
      expect(item('relays')).toMatchObject({ status: 'error', facts: { up: 0 } });
      expect(item('domains')).toMatchObject({ status: 'warning', facts: { error: 1, pending: 1 } });
      expect(res.body.status).toBe('error');
    });

    it('is for racines only', async () => {
      for (const as of [tenant.actors.admin, tenant.actors.member]) {
        expect((await app.client.request('GET', '/api/v1/platform/health', { as })).status).toBe(403);
      }
    });
  });

  describe('GET /api/v1/platform/dkim', () => {
    it('gives every domain’s signing selectors, key in waiting, retiring key and next rotation', async () => {
      const DAY = 24 * 3600 * 1000;
      const steady = await makeDomain(app.ctx, { collectiveId: tenant.collective.id });
      const rotating = await makeDomain(app.ctx, { collectiveId: tenant.collective.id });
      await makeDkimKeys(app.ctx, steady.id);
      await makeDkimKeys(app.ctx, rotating.id);
      const rotated = await app.client.request('POST', `/api/v1/domains/${rotating.name}/dkim/rotate`, {
        as: racine.actor,
      });
      expect(rotated.status).toBe(200);
      const retiringAt = new Date(app.ctx.now().getTime() - DAY);
      const res = await app.client.request('GET', '/api/v1/platform/dkim', { as: racine.actor });
      expect(res.status).toBe(200);
      const of = (name: string) => res.body.items.find((i: { domain: string }) => i.domain === name);
      const active = await app.ctx.db('dkim_keys').where({ domain_id: steady.id, state: 'active' }).first();
      const { dkimRotationDays, dkimRetentionDays } = app.ctx.config.dns;
      expect(of(steady.name)).toEqual({
        domain: steady.name,
        mode: 'delegated',
        active: [active.selector],
        pending: [],
        retiring: [],
        nextRotationAt: new Date(active.activated_at.getTime() + dkimRotationDays * DAY).toISOString(),
      });
      // A rotation under way: nothing more is scheduled until it ends.
      expect(of(rotating.name)).toMatchObject({ pending: [expect.any(String)], nextRotationAt: null });

      await app.ctx
        .db('dkim_keys')
        .where({ domain_id: steady.id })
        .update({ state: 'retiring', retiring_at: retiringAt });
      const later = await app.client.request('GET', '/api/v1/platform/dkim', { as: racine.actor });
      const retiring = later.body.items.find((i: { domain: string }) => i.domain === steady.name);
      expect(retiring).toMatchObject({
        active: [],
        retiring: [
          {
            selector: active.selector,
            until: new Date(retiringAt.getTime() + dkimRetentionDays * DAY).toISOString(),
          },
        ],
        nextRotationAt: null,
      });
    });

    it('is for racines only', async () => {
      for (const as of [tenant.actors.admin, tenant.actors.member, tenant.actors.owner]) {
        expect((await app.client.request('GET', '/api/v1/platform/dkim', { as })).status).toBe(403);
      }
    });
  });

  describe('GET /api/v1/platform/master-key', () => {
    it('counts the secrets re-wrapped by the current key, resumable until all are', async () => {
      await makeDkimKeys(app.ctx, tenant.domain.id);
      await makeRelay(app.ctx, { username: 'u', password: 'relay secret' });
      const before = await app.client.request('GET', '/api/v1/platform/master-key', { as: racine.actor });
      expect(before.status).toBe(200);
      expect(before.body).toMatchObject({
        state: 'complete',
        commands: { rotate: 'giroflee keys rotate-master' },
      });
      expect(before.body.total).toBeGreaterThanOrEqual(2);
      expect(before.body.onCurrent).toBe(before.body.total);
      expect(before.body.columns.map((c: { column: string }) => c.column)).toEqual(
        expect.arrayContaining(['dkim_keys.private_key', 'relays.password']),
      );

      // A rotation added a key and stopped: nothing is on the new key yet, the old one stays in use.
      const old = app.ctx.keyring.current.id;
      app.ctx.keyring.keys.push(Keyring.generateKey());
      try {
        const during = await app.client.request('GET', '/api/v1/platform/master-key', { as: racine.actor });
        expect(during.body).toMatchObject({ state: 'resumable', onCurrent: 0, retirable: [] });
        expect(during.body.keys).toEqual([
          { id: old, current: false, envelopes: before.body.total },
          { id: app.ctx.keyring.current.id, current: true, envelopes: 0 },
        ]);
      } finally {
        app.ctx.keyring.keys.pop();
      }
      const member = await app.client.request('GET', '/api/v1/platform/master-key', {
        as: tenant.actors.admin,
      });
      expect(member.status).toBe(403);
    });
  });

  describe('GET /api/v1/relays/:name', () => {
    it('shows the circuit state as unknown where no outbound gateway runs in this process', async () => {
      const relay = await makeRelay(app.ctx);
      const res = await app.client.request('GET', `/api/v1/relays/${relay.name}`, { as: racine.actor });
      expect(res.body.health.circuit).toBe('unknown');
    });
  });
});
