import { makeAccount, makeRacine, makeTenant, TEST_PASSWORD } from '../support/factories';
import { useTestApp } from '../support/app';

describe('GET /api/v1/accounts, POST …/password, DELETE …/totp (racines)', () => {
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

  it('finds accounts by part of their e-mail, a page at a time, in e-mail order', async () => {
    const { actor: racine } = await makeRacine(app.ctx);
    for (const who of ['paging-c', 'paging-a', 'paging-b', 'autre']) {
      await makeAccount(app.ctx, { email: `${who}@pages.example` });
    }
    await makeAccount(app.ctx, { email: 'paging_x@ailleurs.example' });
    const get = (query: string) => app.client.request('GET', `/api/v1/accounts?${query}`, { as: racine });
    const first = await get('search=PAGING-&limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((a: { email: string }) => a.email)).toEqual([
      'paging-a@pages.example',
      'paging-b@pages.example',
    ]);
    const second = await get(`search=paging-&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toMatchObject({ items: [{ email: 'paging-c@pages.example' }], nextCursor: null });
    // `_` is a letter here, not LIKE's wildcard.
    expect((await get('search=paging_')).body.items.map((a: { email: string }) => a.email)).toEqual([
      'paging_x@ailleurs.example',
    ]);
    const bad = await get('cursor=pas-un-curseur');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_cursor');
  });

  it('lets a racine reset a TOTP: the next login needs no code, audited', async () => {
    const { actor: racine } = await makeRacine(app.ctx);
    const account = await makeAccount(app.ctx, { email: 'telephone-perdu@asso.example' });
    await app.ctx.db('accounts').where({ id: account.id }).update({ totp_enabled: true, totp_secret: 'x' });
    expect((await login({ login: account.email, password: TEST_PASSWORD })).body.error.code).toBe(
      'totp_required',
    );
    const res = await app.client.request('DELETE', `/api/v1/accounts/${account.id}/totp`, { as: racine });
    expect(res.status).toBe(204);
    expect((await login({ login: account.email, password: TEST_PASSWORD })).status).toBe(200);
    const listed = await app.client.request('GET', `/api/v1/accounts?email=${account.email}`, { as: racine });
    expect(listed.body.items[0]).toMatchObject({ totpEnabled: false });
    const audit = await app.ctx
      .db('audit_log')
      .where({ action: 'account.totp.reset', target_id: account.id });
    expect(audit).toHaveLength(1);
  });

  it('refuses collective admins, members and mailbox owners, changing nothing', async () => {
    const t = await makeTenant(app.ctx);
    await app.ctx.db('accounts').where({ id: t.member.id }).update({ totp_enabled: true, totp_secret: 'x' });
    for (const as of [t.actors.admin, t.actors.member, t.actors.owner]) {
      expect(
        (await app.client.request('POST', `/api/v1/accounts/${t.member.id}/password`, { as })).status,
      ).toBe(403);
      expect(
        (await app.client.request('DELETE', `/api/v1/accounts/${t.member.id}/totp`, { as })).status,
      ).toBe(403);
      expect((await app.client.request('GET', '/api/v1/accounts?search=a', { as })).status).toBe(403);
    }
    expect(await app.ctx.db('accounts').where({ id: t.member.id }).first()).toMatchObject({
      totp_enabled: true,
      must_change_password: false,
    });
    expect(
      await app.ctx.db('audit_log').whereIn('action', ['account.totp.reset', 'account.password.reset']),
    ).toEqual(expect.not.arrayContaining([expect.objectContaining({ target_id: t.member.id })]));
  });

  it('is described in the OpenAPI document with its answer', async () => {
    const doc = (await app.client.request('GET', '/api/v1/openapi.json')).body;
    const reset = doc.paths['/accounts/{id}/password'].post;
    expect(Object.keys(reset.responses['200'].content['application/json'].schema.properties)).toContain(
      'oneTimePassword',
    );
  });
});
