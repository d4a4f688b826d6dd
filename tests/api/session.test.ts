import { authenticator } from 'otplib';
import * as passwordHash from '../../src/auth/password-hash';
import { makeAccount, makeTenant, TEST_PASSWORD } from '../support/factories';
import { useTestApp } from '../support/app';

describe('sessions and /me', () => {
  const app = useTestApp();

  const login = (body: object) => app.client.request('POST', '/api/v1/session', { body });
  const cookieOf = (res: { headers: Headers }) => res.headers.get('set-cookie')?.split(';')[0] ?? '';

  it('logs a console account in with an httpOnly SameSite=Strict cookie and answers /me', async () => {
    const account = await makeAccount(app.ctx, { email: 'alice@asso.example' });
    const res = await login({ login: 'Alice@Asso.example', password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const me = await app.client.request('GET', '/api/v1/me', { headers: { cookie: cookieOf(res) } });
    expect(me.body).toMatchObject({ type: 'account', id: account.id, email: 'alice@asso.example' });
  });

  it('logs a mailbox owner in with the mailbox address and password', async () => {
    const t = await makeTenant(app.ctx);
    const res = await login({ login: t.mailbox.address, password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.me).toMatchObject({ type: 'mailbox', address: t.mailbox.address });
  });

  it('gives the same answer for a wrong password and an unknown login', async () => {
    await makeAccount(app.ctx, { email: 'bob@asso.example' });
    const wrong = await login({ login: 'bob@asso.example', password: 'not the password at all' });
    const unknown = await login({ login: 'nobody@asso.example', password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('delays an account after repeated failures, with a growing Retry-After', async () => {
    await makeAccount(app.ctx, { email: 'carol@asso.example' });
    for (let i = 0; i < 3; i++) await login({ login: 'carol@asso.example', password: `wrong ${i}` });
    const blocked = await login({ login: 'carol@asso.example', password: TEST_PASSWORD });
    expect(blocked.status).toBe(429);
    const first = Number(blocked.headers.get('retry-after'));
    app.ctx.clock.advance(first * 1000 + 1);
    await login({ login: 'carol@asso.example', password: 'wrong again' });
    const again = await login({ login: 'carol@asso.example', password: TEST_PASSWORD });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(first);
  });

  it('refuses a cookie-authenticated change without the CSRF header', async () => {
    await makeAccount(app.ctx, { email: 'dan@asso.example' });
    const res = await login({ login: 'dan@asso.example', password: TEST_PASSWORD });
    const out = await app.client.request('DELETE', '/api/v1/session', { headers: { cookie: cookieOf(res) } });
    expect(out.status).toBe(403);
  });

  it('revokes the session on logout', async () => {
    await makeAccount(app.ctx, { email: 'eve@asso.example' });
    const res = await login({ login: 'eve@asso.example', password: TEST_PASSWORD });
    const headers = { cookie: cookieOf(res), 'x-giroflee-csrf': '1' };
    expect((await app.client.request('DELETE', '/api/v1/session', { headers })).status).toBe(204);
    expect((await app.client.request('GET', '/api/v1/me', { headers })).status).toBe(401);
  });

  it('expires sessions', async () => {
    await makeAccount(app.ctx, { email: 'fay@asso.example' });
    const res = await login({ login: 'fay@asso.example', password: TEST_PASSWORD });
    app.ctx.clock.advance(app.ctx.config.sessionHours * 3600_000 + 1000);
    expect(
      (await app.client.request('GET', '/api/v1/me', { headers: { cookie: cookieOf(res) } })).status,
    ).toBe(401);
  });

  it('enrols TOTP, then requires the code at login; a racine can reset it', async () => {
    await makeAccount(app.ctx, { email: 'gil@asso.example' });
    const res = await login({ login: 'gil@asso.example', password: TEST_PASSWORD });
    const headers = { cookie: cookieOf(res), 'x-giroflee-csrf': '1' };
    const begun = await app.client.request('POST', '/api/v1/me/totp', { headers });
    expect(begun.status).toBe(201);
    const code = authenticator.clone({ epoch: app.ctx.now().getTime() }).generate(begun.body.secret);
    expect(
      (await app.client.request('POST', '/api/v1/me/totp/confirm', { headers, body: { code } })).status,
    ).toBe(204);

    const without = await login({ login: 'gil@asso.example', password: TEST_PASSWORD });
    expect(without.status).toBe(401);
    expect(without.body.error.code).toBe('totp_required');
    // The code of the enrolment is spent (RFC 6238 §5.2): the login takes the next one.
    expect((await login({ login: 'gil@asso.example', password: TEST_PASSWORD, totp: code })).status).toBe(
      401,
    );
    app.ctx.clock.advance(30_000);
    const next = authenticator.clone({ epoch: app.ctx.now().getTime() }).generate(begun.body.secret);
    const withCode = await login({ login: 'gil@asso.example', password: TEST_PASSWORD, totp: next });
    expect(withCode.status).toBe(200);

    const racine = await makeAccount(app.ctx, { email: 'root@asso.example', racine: true });
    const racineLogin = await login({ login: 'root@asso.example', password: TEST_PASSWORD });
    const gil = await app.ctx.db('accounts').where({ email: 'gil@asso.example' }).first('id');
    const reset = await app.client.request('DELETE', `/api/v1/accounts/${gil.id}/totp`, {
      headers: { cookie: cookieOf(racineLogin), 'x-giroflee-csrf': '1' },
    });
    expect(reset.status).toBe(204);
    expect((await login({ login: 'gil@asso.example', password: TEST_PASSWORD })).status).toBe(200);
    const audit = await app.ctx.db('audit_log').where({ action: 'account.totp.reset', actor_id: racine.id });
    expect(audit).toHaveLength(1);
  });

  it('changes the account password only with the current one, and enforces the policy', async () => {
    await makeAccount(app.ctx, { email: 'hal@asso.example' });
    const res = await login({ login: 'hal@asso.example', password: TEST_PASSWORD });
    const headers = { cookie: cookieOf(res), 'x-giroflee-csrf': '1' };
    const wrong = await app.client.request('POST', '/api/v1/me/password', {
      headers,
      body: { currentPassword: 'wrong password here', newPassword: 'a brand new long passphrase' },
    });
    expect(wrong.status).toBe(401);
    const common = await app.client.request('POST', '/api/v1/me/password', {
      headers,
      body: { currentPassword: TEST_PASSWORD, newPassword: 'password1234' },
    });
    expect(common.body.error.code).toBe('password_too_weak');
    const ok = await app.client.request('POST', '/api/v1/me/password', {
      headers,
      body: { currentPassword: TEST_PASSWORD, newPassword: 'a brand new long passphrase' },
    });
    expect(ok.status).toBe(204);
    expect((await login({ login: 'hal@asso.example', password: 'a brand new long passphrase' })).status).toBe(
      200,
    );
  });
});

describe('login throttling, atomic and per client', () => {
  const app = useTestApp({ config: { trustProxy: 'loopback' } });
  const loginFrom = (forwardedFor: string, login: string, password: string) =>
    app.client.request('POST', '/api/v1/session', {
      body: { login, password },
      headers: { 'x-forwarded-for': forwardedFor },
    });

  it('checks at most 3 passwords for 25 parallel wrong guesses from one client', async () => {
    const account = await makeAccount(app.ctx, { email: 'rafale@asso.example' });
    const { password_hash } = await app.ctx.db('accounts').where({ id: account.id }).first();
    const spy = jest.spyOn(passwordHash, 'verifyPassword');
    try {
      const answers = await Promise.all(
        Array.from({ length: 25 }, (_, i) => loginFrom('198.51.100.20', 'rafale@asso.example', `guess ${i}`)),
      );
      expect(spy.mock.calls.filter(([hash]) => hash === password_hash)).toHaveLength(3);
      expect(answers.filter((a) => a.status === 401)).toHaveLength(3);
      expect(answers.filter((a) => a.status === 429)).toHaveLength(22);
    } finally {
      spy.mockRestore();
    }
  });

  it('never lets a stranger lock the owner out, whatever the stranger tries', async () => {
    await makeAccount(app.ctx, { email: 'jade@asso.example' });
    // The stranger waits out every delay, so each guess is a real one.
    for (let i = 0; i < 8; i++) {
      if (i) app.ctx.clock.advance(10 * 60_000);
      await loginFrom('198.51.100.30', 'jade@asso.example', `wrong ${i}`);
    }
    expect((await loginFrom('198.51.100.30', 'jade@asso.example', TEST_PASSWORD)).status).toBe(429);
    expect((await loginFrom('198.51.100.31', 'jade@asso.example', TEST_PASSWORD)).status).toBe(200);
  });

  it('accepts a TOTP code once: a replay in the same window is refused', async () => {
    await makeAccount(app.ctx, { email: 'kim@asso.example' });
    const first = await loginFrom('198.51.100.40', 'kim@asso.example', TEST_PASSWORD);
    const headers = {
      cookie: first.headers.get('set-cookie')!.split(';')[0],
      'x-giroflee-csrf': '1',
      'x-forwarded-for': '198.51.100.40',
    };
    const begun = await app.client.request('POST', '/api/v1/me/totp', { headers });
    const codeAt = () => authenticator.clone({ epoch: app.ctx.now().getTime() }).generate(begun.body.secret);
    await app.client.request('POST', '/api/v1/me/totp/confirm', { headers, body: { code: codeAt() } });
    app.ctx.clock.advance(30_000);
    const code = codeAt();
    const withCode = (from: string) =>
      app.client.request('POST', '/api/v1/session', {
        body: { login: 'kim@asso.example', password: TEST_PASSWORD, totp: code },
        headers: { 'x-forwarded-for': from },
      });
    expect((await withCode('198.51.100.41')).status).toBe(200);
    const replay = await withCode('198.51.100.42');
    expect(replay.status).toBe(401);
    expect(replay.body.error.message).toMatch(/code/i);
  });

  it('ends a mailbox session when its domain is suspended', async () => {
    const t = await makeTenant(app.ctx);
    const res = await loginFrom('198.51.100.50', t.mailbox.address, TEST_PASSWORD);
    const headers = { cookie: res.headers.get('set-cookie')!.split(';')[0] };
    expect((await app.client.request('GET', '/api/v1/me', { headers })).status).toBe(200);
    await app.ctx.db('domains').where({ id: t.domain.id }).update({ status: 'suspended' });
    expect((await app.client.request('GET', '/api/v1/me', { headers })).status).toBe(401);
  });
});

describe('login throttling behind a reverse proxy', () => {
  const app = useTestApp({ config: { trustProxy: 'loopback' } });

  const loginFrom = (forwardedFor: string, login: string, password: string) =>
    app.client.request('POST', '/api/v1/session', {
      body: { login, password },
      headers: { 'x-forwarded-for': forwardedFor },
    });

  it('slows down the client that fails, not everyone behind the same proxy', async () => {
    await makeAccount(app.ctx, { email: 'ivy@asso.example' });
    for (let i = 0; i < 21; i++) await loginFrom('198.51.100.7', `guess${i}@asso.example`, 'wrong password');
    expect((await loginFrom('198.51.100.7', 'ivy@asso.example', TEST_PASSWORD)).status).toBe(429);
    expect((await loginFrom('198.51.100.8', 'ivy@asso.example', TEST_PASSWORD)).status).toBe(200);
  });
});
