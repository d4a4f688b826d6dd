import type { Notifier } from '../../src/context';
import { makeAccount, makeApiToken, makeRacine, makeTenant, TEST_PASSWORD } from '../support/factories';
import { useTestApp } from '../support/app';

type Mail = Parameters<Notifier['send']>[0];

describe('invitations: nobody joins a collective without consent', () => {
  const mails: Mail[] = [];
  const app = useTestApp({
    setup: async (ctx) => {
      ctx.notifier = { send: async (m) => void mails.push(m) };
    },
  });
  const invite = (t: Awaited<ReturnType<typeof makeTenant>>, email: string, role = 'admin') =>
    app.client.request('POST', `/api/v1/collectives/${t.collective.slug}/invitations`, {
      as: t.actors.admin,
      body: { email, role },
    });
  const codeMailedTo = (email: string) => {
    const mail = [...mails].reverse().find((m) => m.to.includes(email));
    return /(gfi_[A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
  };
  const login = (body: object) => app.client.request('POST', '/api/v1/session', { body });
  const cookie = (res: { headers: Headers }) => ({
    cookie: res.headers.get('set-cookie')!.split(';')[0],
    'x-giroflee-csrf': '1',
  });

  it('adds an existing account only once it accepts, logged in; the admin never sees a code', async () => {
    const a = await makeTenant(app.ctx);
    const b = await makeTenant(app.ctx);
    const res = await invite(b, a.admin.email);
    expect(res.status).toBe(201);
    expect(res.text).not.toMatch(/gfi_|oneTimePassword/);
    expect(await app.ctx.db('memberships').where({ account_id: a.admin.id })).toHaveLength(1);

    const session = cookie(await login({ login: a.admin.email, password: TEST_PASSWORD }));
    const waiting = await app.client.request('GET', '/api/v1/me/invitations', { headers: session });
    expect(waiting.body.items).toEqual([
      expect.objectContaining({
        id: res.body.id,
        role: 'admin',
        collective: expect.objectContaining({ slug: b.collective.slug }),
      }),
    ]);
    const accepted = await app.client.request('POST', `/api/v1/me/invitations/${res.body.id}/accept`, {
      headers: session,
    });
    expect(accepted.status).toBe(200);
    const me = await app.client.request('GET', '/api/v1/me', { headers: session });
    expect(me.body.memberships.map((m: { slug: string }) => m.slug).sort()).toEqual(
      [a.collective.slug, b.collective.slug].sort(),
    );
    const audit = await app.ctx
      .db('audit_log')
      .where({ action: 'member.add', target_id: a.admin.id })
      .first();
    expect(audit.details).toMatchObject({ basis: 'invitation', role: 'admin' });
    expect(audit.actor_id).toBe(a.admin.id);
  });

  it('lets an address without an account join with the mailed code and a password it chooses', async () => {
    const t = await makeTenant(app.ctx);
    expect((await invite(t, 'Nouvelle@Asso.example', 'member')).status).toBe(201);
    const code = codeMailedTo('nouvelle@asso.example');
    expect(code).toBeDefined();
    expect(await app.ctx.db('accounts').where({ email: 'nouvelle@asso.example' })).toHaveLength(0);
    const weak = await app.client.request('POST', '/api/v1/invitations/accept', {
      body: { code, password: 'password1234' },
    });
    expect(weak.body.error.code).toBe('password_too_weak');
    const joined = await app.client.request('POST', '/api/v1/invitations/accept', {
      body: { code, password: 'une phrase secrète à moi' },
    });
    expect(joined.status).toBe(201);
    const session = await login({ login: 'nouvelle@asso.example', password: 'une phrase secrète à moi' });
    expect(session.body.me).toMatchObject({
      mustChangePassword: false,
      memberships: [expect.objectContaining({ role: 'member' })],
    });
    const again = await app.client.request('POST', '/api/v1/invitations/accept', {
      body: { code, password: 'une autre phrase secrète' },
    });
    expect(again.status).toBe(404);
  });

  it('answers an invitation the same whether or not the address has an account', async () => {
    const t = await makeTenant(app.ctx);
    const known = await makeAccount(app.ctx);
    const shape = (body: Record<string, unknown>) => Object.keys(body).sort();
    const a = await invite(t, known.email, 'member');
    const b = await invite(t, 'inconnue@ailleurs.example', 'member');
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(shape(a.body)).toEqual(shape(b.body));
    const mailTo = (email: string) => mails.filter((m) => m.to.includes(email)).at(-1)!;
    expect(mailTo(known.email).text.replace(/gfi_\S+/g, '')).toEqual(
      mailTo('inconnue@ailleurs.example').text.replace(/gfi_\S+/g, ''),
    );
  });

  it('lets a mailbox owner keep logging in when another collective makes an account with the address', async () => {
    const victim = await makeTenant(app.ctx);
    const other = await makeTenant(app.ctx);
    // Even an account with that address (here made directly) does not shadow the mailbox.
    await makeAccount(app.ctx, { email: victim.mailbox.address, collectiveId: other.collective.id });
    await app.ctx
      .db('accounts')
      .where({ email: victim.mailbox.address })
      .update({
        password_hash: await import('../../src/auth/password-hash').then((m) =>
          m.hashPassword('someone else’s password'),
        ),
      });
    const res = await login({ login: victim.mailbox.address, password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.me).toMatchObject({ type: 'mailbox', address: victim.mailbox.address });
    const asAccount = await login({
      login: victim.mailbox.address,
      password: 'someone else’s password',
      kind: 'account',
    });
    expect(asAccount.body.me).toMatchObject({ type: 'account' });
    const forced = await login({ login: victim.mailbox.address, password: TEST_PASSWORD, kind: 'account' });
    expect(forced.status).toBe(401);
  });

  it('refuses API tokens everything about members, invitations and tokens', async () => {
    const t = await makeTenant(app.ctx);
    const { actor: token } = await makeApiToken(app.ctx, { collectiveId: t.collective.id });
    const base = `/api/v1/collectives/${t.collective.slug}`;
    const pending = await invite(t, 'attente@asso.example');
    const tries = [
      await app.client.request('POST', `${base}/invitations`, {
        as: token,
        body: { email: 'moi@evil.example', role: 'admin' },
      }),
      await app.client.request('DELETE', `${base}/invitations/${pending.body.id}`, { as: token }),
      await app.client.request('DELETE', `${base}/members/${t.member.id}`, { as: token }),
      await app.client.request('POST', `${base}/tokens`, { as: token, body: { name: 'encore' } }),
    ];
    expect(tries.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect(await app.ctx.db('invitations').where({ email: 'moi@evil.example' })).toHaveLength(0);
    expect(await app.ctx.db('memberships').where({ account_id: t.member.id })).toHaveLength(1);
  });

  it('forgets a declined or withdrawn invitation', async () => {
    const t = await makeTenant(app.ctx);
    const person = await makeAccount(app.ctx);
    const session = cookie(await login({ login: person.email, password: TEST_PASSWORD }));
    const first = await invite(t, person.email);
    expect(
      (await app.client.request('DELETE', `/api/v1/me/invitations/${first.body.id}`, { headers: session }))
        .status,
    ).toBe(204);
    expect(
      (
        await app.client.request('POST', `/api/v1/me/invitations/${first.body.id}/accept`, {
          headers: session,
        })
      ).status,
    ).toBe(404);

    const second = await invite(t, person.email);
    const withdrawn = await app.client.request(
      'DELETE',
      `/api/v1/collectives/${t.collective.slug}/invitations/${second.body.id}`,
      { as: t.actors.admin },
    );
    expect(withdrawn.status).toBe(204);
    expect(
      (
        await app.client.request('POST', `/api/v1/me/invitations/${second.body.id}/accept`, {
          headers: session,
        })
      ).status,
    ).toBe(404);
    expect(await app.ctx.db('memberships').where({ account_id: person.id })).toHaveLength(0);
  });

  it('lets a racine invite the first admin of a collective', async () => {
    const { actor: racine } = await makeRacine(app.ctx);
    const created = await app.client.request('POST', '/api/v1/collectives', {
      as: racine,
      body: { slug: 'tout-neuf', name: 'Tout neuf' },
    });
    const res = await app.client.request('POST', '/api/v1/collectives/tout-neuf/invitations', {
      as: racine,
      body: { email: 'premiere@tout-neuf.example', role: 'admin' },
    });
    expect([created.status, res.status]).toEqual([201, 201]);
    expect(codeMailedTo('premiere@tout-neuf.example')).toBeDefined();
  });
});
