import { unwrapSecret, envelopeContext } from '../../src/encryption/envelope';
import { makeRacine, makeTenant } from '../support/factories';
import { useTestApp } from '../support/app';

describe('/api/v1/relays', () => {
  const app = useTestApp();
  let racine: Awaited<ReturnType<typeof makeRacine>>;
  let tenant: Awaited<ReturnType<typeof makeTenant>>;

  beforeAll(async () => {
    racine = await makeRacine(app.ctx);
    tenant = await makeTenant(app.ctx);
  });

  const smarthost = (name: string, extra: Record<string, unknown> = {}) => ({
    kind: 'smarthost',
    name,
    host: 'relay.example.net',
    port: 587,
    tlsMode: 'starttls',
    username: 'giroflee',
    password: 'relay-secret-1',
    ...extra,
  });

  describe('POST /api/v1/relays', () => {
    it('adds a relay, stores its password wrapped, and never shows it', async () => {
      const res = await app.client.request('POST', '/api/v1/relays', {
        as: racine.actor,
        body: smarthost('exit-1'),
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: 'exit-1',
        kind: 'smarthost',
        host: 'relay.example.net',
        tlsMode: 'starttls',
        username: 'giroflee',
        hasPassword: true,
        role: 'primary',
        state: 'active',
        health: { status: 'unknown' },
      });
      expect(res.text).not.toContain('relay-secret-1');
      expect(res.text).not.toMatch(/v1:/);
      const row = await app.ctx.db('relays').where({ name: 'exit-1' }).first();
      expect(row.password).toMatch(/^v1:/);
      expect(
        unwrapSecret(app.ctx.keyring, row.password, envelopeContext('relays', 'password', row.id)).toString(),
      ).toBe('relay-secret-1');
      const audit = await app.ctx
        .db('audit_log')
        .where({ action: 'relay.create', target_id: row.id })
        .first();
      expect(audit.actor_label).toBe(racine.account.email);
      expect(JSON.stringify(audit.details)).not.toContain('relay-secret-1');
    });

    it('adds a direct relay as a fallback', async () => {
      const res = await app.client.request('POST', '/api/v1/relays', {
        as: racine.actor,
        body: { kind: 'direct', name: 'direct-mx', role: 'fallback', priority: 10 },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ kind: 'direct', host: null, role: 'fallback' });
    });

    it.each([
      ['plain SMTP to a remote host', smarthost('bad-1', { tlsMode: 'none' }), 'relay_plain_not_loopback'],
      ['a password without a user', smarthost('bad-2', { username: undefined }), 'relay_password_needs_user'],
      ['an invalid name', smarthost('Bad Name'), 'relay_name_invalid'],
      ['an invalid host', smarthost('bad-3', { host: 'not a host' }), 'domain_invalid_characters'],
      ['an unknown field', smarthost('bad-4', { extra: 1 }), 'unrecognized_keys'],
    ])('refuses %s with a clear error and creates nothing', async (_label, body, code) => {
      const res = await app.client.request('POST', '/api/v1/relays', { as: racine.actor, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.issues.map((i: any) => i.code)).toContain(code);
      expect(await app.ctx.db('relays').where('name', 'like', 'bad%')).toHaveLength(0);
    });

    it('allows plain SMTP to a loopback relay', async () => {
      const res = await app.client.request('POST', '/api/v1/relays', {
        as: racine.actor,
        body: smarthost('local-sink', { host: '127.0.0.1', port: 2500, tlsMode: 'none', role: 'fallback' }),
      });
      expect(res.status).toBe(201);
    });

    it('refuses a name already taken (409)', async () => {
      const res = await app.client.request('POST', '/api/v1/relays', {
        as: racine.actor,
        body: smarthost('exit-1'),
      });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('relay_exists');
    });
  });

  describe('access', () => {
    it.each([
      ['a collective admin', () => tenant.actors.admin],
      ['a mailbox owner', () => tenant.actors.owner],
    ])('forbids %s, and changes nothing', async (_label, actor) => {
      expect((await app.client.request('GET', '/api/v1/relays', { as: actor() })).status).toBe(403);
      const res = await app.client.request('POST', '/api/v1/relays', {
        as: actor(),
        body: smarthost('sneaky'),
      });
      expect(res.status).toBe(403);
      expect(await app.ctx.db('relays').where({ name: 'sneaky' })).toHaveLength(0);
    });

    it('answers 401 without credentials', async () => {
      expect((await app.client.request('GET', '/api/v1/relays')).status).toBe(401);
    });
  });

  describe('changing relays', () => {
    it('lists relays in routing order with their health', async () => {
      const res = await app.client.request('GET', '/api/v1/relays', { as: racine.actor });
      expect(res.status).toBe(200);
      expect(res.body.items.map((r: any) => r.name)).toEqual(['exit-1', 'direct-mx', 'local-sink']);
      expect(res.body.items[0].health).toEqual({
        status: 'unknown',
        checkedAt: null,
        latencyMs: null,
        error: null,
        dnsblListings: [],
        // No outbound gateway runs in this process, so no breaker to read.
        circuit: 'unknown',
      });
    });

    it('sets priority and role, audited with before and after', async () => {
      const res = await app.client.request('PATCH', '/api/v1/relays/local-sink', {
        as: racine.actor,
        body: { priority: 5 },
      });
      expect(res.status).toBe(200);
      expect(res.body.priority).toBe(5);
      const audit = await app.ctx
        .db('audit_log')
        .where({ action: 'relay.update' })
        .orderBy('id', 'desc')
        .first();
      expect(audit.details).toMatchObject({ name: 'local-sink', priority: { before: 100, after: 5 } });
    });

    it('promotes a fallback ahead of every primary', async () => {
      const res = await app.client.request('POST', '/api/v1/relays/local-sink/promote', { as: racine.actor });
      expect(res.status).toBe(200);
      expect(res.body.role).toBe('primary');
      const list = await app.client.request('GET', '/api/v1/relays', { as: racine.actor });
      expect(list.body.items[0].name).toBe('local-sink');
      const again = await app.client.request('POST', '/api/v1/relays/local-sink/promote', {
        as: racine.actor,
      });
      expect(again.status).toBe(409);
    });

    it('drains a relay', async () => {
      const res = await app.client.request('POST', '/api/v1/relays/direct-mx/drain', { as: racine.actor });
      expect(res.status).toBe(200);
      expect(res.body.state).toBe('draining');
      expect(await app.ctx.db('audit_log').where({ action: 'relay.drain' })).toHaveLength(1);
    });

    it('rotates credentials, re-wrapped, never in the audit log', async () => {
      const res = await app.client.request('POST', '/api/v1/relays/exit-1/credentials', {
        as: racine.actor,
        body: { username: 'giroflee2', password: 'relay-secret-2' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ username: 'giroflee2', hasPassword: true });
      expect(res.text).not.toContain('relay-secret-2');
      const row = await app.ctx.db('relays').where({ name: 'exit-1' }).first();
      expect(
        unwrapSecret(app.ctx.keyring, row.password, envelopeContext('relays', 'password', row.id)).toString(),
      ).toBe('relay-secret-2');
      const audit = await app.ctx.db('audit_log').where({ action: 'relay.rotate_credentials' }).first();
      expect(JSON.stringify(audit.details)).not.toContain('relay-secret');
    });

    it('refuses to give a direct relay credentials', async () => {
      const res = await app.client.request('POST', '/api/v1/relays/direct-mx/credentials', {
        as: racine.actor,
        body: { username: 'x', password: 'y' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('relay_no_credentials');
    });

    it('removes a relay; an unknown one is 404', async () => {
      expect(
        (await app.client.request('DELETE', '/api/v1/relays/direct-mx', { as: racine.actor })).status,
      ).toBe(204);
      expect(
        (await app.client.request('DELETE', '/api/v1/relays/direct-mx', { as: racine.actor })).status,
      ).toBe(404);
      expect(await app.ctx.db('audit_log').where({ action: 'relay.delete' })).toHaveLength(1);
    });
  });
});
