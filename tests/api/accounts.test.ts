import { makeAccount, makeRacine, makeTenant, TEST_PASSWORD } from '../support/factories';
import { useTestApp } from '../support/app';

describe('POST /api/v1/accounts/:id/password and GET /api/v1/accounts (racines)', () => {
  const app = useTestApp();
  const login = (body: object) => app.client.request('POST', '/api/v1/session', { body });

  it('lets a racine reset a console password: a one-time password, once, that must be changed at login', async () => {
    const { actor: racine } = await makeRacine(app.ctx);
    const account = await makeAccount(app.ctx, { email: 'perdu@asso.example' });
    const found = await app.client.request('GET', '/api/v1/accounts?email=Perdu@asso.example', {
      as: racine,
    });
    expect(found.body.items.map((a: { id: string }) => a.id)).toEqual([account.id]);

    const res = await app.client.request('POST', `/api/v1/accounts/${account.id}/password`, { as: racine });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: account.id, email: 'perdu@asso.example', mustChangePassword: true });
    expect((await login({ login: 'perdu@asso.example', password: TEST_PASSWORD })).status).toBe(401);
    const fresh = await login({ login: 'perdu@asso.example', password: res.body.oneTimePassword });
    expect(fresh.body.me).toMatchObject({ mustChangePassword: true });
    const audit = await app.ctx.db('audit_log').where({ action: 'account.password.reset' }).first();
    expect(audit).toMatchObject({ target_id: account.id, actor_id: racine.type === 'account' && racine.id });
  });

  it('refuses both to collective admins and tokens', async () => {
    const t = await makeTenant(app.ctx);
    for (const as of [t.actors.admin, t.actors.owner]) {
      expect(
        (await app.client.request('POST', `/api/v1/accounts/${t.member.id}/password`, { as })).status,
      ).toBe(403);
      expect((await app.client.request('GET', '/api/v1/accounts', { as })).status).toBe(403);
    }
  });

  it('is described in the OpenAPI document with its answer', async () => {
    const doc = (await app.client.request('GET', '/api/v1/openapi.json')).body;
    const reset = doc.paths['/accounts/{id}/password'].post;
    expect(Object.keys(reset.responses['200'].content['application/json'].schema.properties)).toContain(
      'oneTimePassword',
    );
  });
});
