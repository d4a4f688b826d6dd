import crypto from 'node:crypto';
import { makeTenant } from '../support/factories';
import { useTestApp } from '../support/app';

/**
 * A mailbox created without a password: the admin gets a one-time link (shown once, expiring,
 * single use, stored hashed), and the owner chooses the password with it, getting the key's
 * recovery code herself.
 */
describe('mailbox set-up by its owner through a one-time link', () => {
  const app = useTestApp();
  const CHOSEN = 'les radis poussent sous la pluie de mars';

  async function createAwaitingOwner(localPart = `owner${crypto.randomBytes(3).toString('hex')}`) {
    const t = await makeTenant(app.ctx);
    const res = await app.client.request('POST', `/api/v1/domains/${t.domain.name}/mailboxes`, {
      as: t.actors.admin,
      body: { localPart, displayName: 'Camille' },
    });
    expect(res.status).toBe(201);
    const token = decodeURIComponent(new URL(res.body.setupLink.url).hash.slice(1));
    return { t, res, token, address: res.body.address as string };
  }

  const inspect = (token: string) =>
    app.client.request('POST', '/api/v1/mailbox-setup/inspect', { body: { token } });
  const choose = (token: string, password = CHOSEN) =>
    app.client.request('POST', '/api/v1/mailbox-setup', { body: { token, password } });

  it('creates the mailbox without a password, key or recovery code, and returns the link once', async () => {
    const { t, res, token, address } = await createAwaitingOwner();
    expect(res.body).toMatchObject({ recoveryCode: null, awaitingOwner: true, mustChangePassword: true });
    expect(new URL(res.body.setupLink.url).pathname).toBe('/mailbox-setup');
    expect(token).toMatch(/^gfm_[\w-]{43}$/);
    expect(new Date(res.body.setupLink.expiresAt).getTime() - app.ctx.now().getTime()).toBe(72 * 3600_000);
    expect(await app.ctx.db('mailbox_keys').where({ mailbox_id: res.body.id })).toHaveLength(0);
    // Dovecot and Postfix refuse every password until the owner chooses hers.
    expect((await app.ctx.db('mta.mailboxes').where({ address }).first())?.password_hash).toBe('{CRYPT}!');
    const again = await app.client.request('GET', `/api/v1/mailboxes/${address}`, { as: t.actors.admin });
    expect(again.body).toMatchObject({
      awaitingOwner: true,
      setupLinkExpiresAt: res.body.setupLink.expiresAt,
    });
    expect(again.text).not.toContain(token);
    // Stored hashed; the audit log holds neither the secret nor its hash.
    const stored = await app.ctx.db('mailbox_setup_links').where({ mailbox_id: res.body.id }).first();
    expect(stored.token_hash).toBe(crypto.createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(token);
    const audit = await app.ctx.db('audit_log').where({ target_id: res.body.id });
    expect(audit.map((a) => a.action)).toEqual(['mailbox.create']);
    expect(audit[0].details).toMatchObject({ passwordBy: 'owner' });
    expect(JSON.stringify(audit)).not.toContain(token.slice(4));
    expect(JSON.stringify(audit)).not.toContain(stored.token_hash);
  });

  it('lets the owner choose her password, makes the key then and gives her its recovery code once', async () => {
    const { res, token, address } = await createAwaitingOwner();
    const seen = await inspect(token);
    expect(seen.status).toBe(200);
    expect(seen.body).toEqual({
      address,
      displayName: 'Camille',
      encryptionMode: 'generated',
      expiresAt: res.body.setupLink.expiresAt,
    });

    // A weak password changes nothing: the link still works.
    const weak = await choose(token, 'radis');
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe('password_too_short');
    expect(await app.ctx.db('mailbox_keys').where({ mailbox_id: res.body.id })).toHaveLength(0);

    const done = await choose(token);
    expect(done.status).toBe(200);
    expect(done.body.address).toBe(address);
    expect(done.body.recoveryCode).toMatch(/\w{4}(-\w{4}){7}/);
    const keys = await app.ctx.db('mailbox_keys').where({ mailbox_id: res.body.id });
    expect(keys).toHaveLength(1);
    expect(keys[0].state).toBe('active');
    // Her password now opens the mailbox, to the web login and to Dovecot.
    const login = await app.client.request('POST', '/api/v1/session', {
      body: { login: address, password: CHOSEN },
    });
    expect(login.status).toBe(200);
    expect(login.body.me).toMatchObject({ type: 'mailbox', address });
    const view = await app.ctx.db('mta.mailboxes').where({ address }).first();
    expect(view.password_hash).toMatch(/^\{ARGON2ID\}/);
    const audit = await app.ctx
      .db('audit_log')
      .where({ target_id: res.body.id, action: 'mailbox.setup_link.use' })
      .first();
    expect(audit).toMatchObject({ actor_type: 'mailbox', actor_label: address });
    expect(JSON.stringify(audit)).not.toContain(token.slice(4));
    expect(JSON.stringify(audit)).not.toContain(done.body.recoveryCode);
  });

  it('refuses a second use with its own code, and changes nothing', async () => {
    const { res, token } = await createAwaitingOwner();
    expect((await choose(token)).status).toBe(200);
    const hash = (await app.ctx.db('mailboxes').where({ id: res.body.id }).first()).password_hash;
    const reuse = await choose(token, 'un tout autre mot de passe bien long');
    expect(reuse.status).toBe(409);
    expect(reuse.body.error.code).toBe('setup_link_used');
    expect(reuse.body.error.message).toMatch(/déjà servi|used already/);
    expect((await inspect(token)).body.error.code).toBe('setup_link_used');
    expect((await app.ctx.db('mailboxes').where({ id: res.body.id }).first()).password_hash).toBe(hash);
    expect(await app.ctx.db('mailbox_keys').where({ mailbox_id: res.body.id })).toHaveLength(1);
  });

  it('refuses an expired link; a new one from the admin works and the old one is dead', async () => {
    const { t, token, address } = await createAwaitingOwner();
    app.ctx.clock.advance(72 * 3600_000 + 1000);
    const late = await choose(token);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('setup_link_expired');
    // The mailbox still waits for its owner, the list says so.
    const listed = await app.client.request('GET', `/api/v1/mailboxes/${address}`, { as: t.actors.admin });
    expect(listed.body.awaitingOwner).toBe(true);

    const fresh = await app.client.request('POST', `/api/v1/mailboxes/${address}/setup-link`, {
      as: t.actors.admin,
    });
    expect(fresh.status).toBe(201);
    const newToken = decodeURIComponent(new URL(fresh.body.url).hash.slice(1));
    expect(newToken).not.toBe(token);
    expect((await choose(token)).body.error.code).toBe('not_found');
    expect((await choose(newToken)).status).toBe(200);
    const issued = await app.ctx.db('audit_log').where({ action: 'mailbox.setup_link.issue' });
    expect(issued.map((a) => a.details.address)).toContain(address);
    expect(JSON.stringify(issued)).not.toContain(newToken.slice(4));
  });

  it('gives a new link only to the collective’s admins, and only while the owner has not chosen', async () => {
    const { t, token, address } = await createAwaitingOwner();
    const issue = (as: (typeof t.actors)[keyof typeof t.actors]) =>
      app.client.request('POST', `/api/v1/mailboxes/${address}/setup-link`, { as });
    expect((await issue(t.actors.member)).status).toBe(403);
    const other = await makeTenant(app.ctx);
    const stranger = await issue(other.actors.admin);
    expect(stranger.status).toBe(404);
    expect(stranger.text).not.toContain(address);
    expect((await choose(token)).status).toBe(200);
    const chosen = await issue(t.actors.admin);
    expect(chosen.status).toBe(409);
    expect(chosen.body.error.code).toBe('mailbox_password_chosen');
    // A mailbox made with a password never had a link.
    const made = await app.client.request('POST', `/api/v1/mailboxes/${t.mailbox.address}/setup-link`, {
      as: t.actors.admin,
    });
    expect(made.body.error.code).toBe('mailbox_password_chosen');
  });

  it('kills the unused link when an admin sets a temporary password instead', async () => {
    const { t, token, address } = await createAwaitingOwner();
    const reset = await app.client.request('POST', `/api/v1/mailboxes/${address}/password`, {
      as: t.actors.admin,
      body: { newPassword: 'provisoire pour la trésorière' },
    });
    expect(reset.status).toBe(200);
    expect((await choose(token)).body.error.code).toBe('not_found');
    const again = await app.client.request('GET', `/api/v1/mailboxes/${address}`, { as: t.actors.admin });
    expect(again.body.awaitingOwner).toBe(false);
  });

  it('answers an unknown link as not found, and limits the attempts', async () => {
    const guessed = await choose(`gfm_${crypto.randomBytes(32).toString('base64url')}`);
    expect(guessed.status).toBe(404);
    expect(guessed.body.error.message).toMatch(/nouveau lien|new link/);
    expect((await inspect('not even a link')).status).toBe(404);
    let status = 0;
    for (let i = 0; i < 40 && status !== 429; i++) status = (await inspect(`gfm_guess${i}`)).status;
    expect(status).toBe(429);
  });
});
