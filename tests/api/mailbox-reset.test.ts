import { loadMailboxActor } from '../../src/auth/sessions';
import type { Actor } from '../../src/auth/actor';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { makeMailbox, makeTenant, TEST_PASSWORD } from '../support/factories';
import { useTestApp } from '../support/app';

describe('an admin reset of a mailbox password', () => {
  const app = useTestApp();

  it('gives the admin no recovery code, and a temporary password that IMAP and SMTP refuse', async () => {
    const t = await makeTenant(app.ctx);
    const m = await makeMailbox(app.ctx, { domainId: t.domain.id, encryptionMode: 'generated' });
    await provisionMailboxKeys(app.ctx, m, TEST_PASSWORD);
    const res = await app.client.request('POST', `/api/v1/mailboxes/${m.address}/password`, {
      as: t.actors.admin,
      body: { newPassword: 'provisoire pour la trésorière' },
    });
    expect(res.status).toBe(200);
    expect(res.body.recoveryCode).toBeNull();
    expect(res.text).not.toMatch(/\w{4}(-\w{4}){7}/);
    // What Dovecot's passdb reads: a hash that never matches, while mail is still delivered.
    const view = await app.ctx.db('mta.mailboxes').where({ address: m.address }).first();
    expect(view.password_hash).toBe('{CRYPT}!');
  });

  it('lets the owner do nothing but choose a password, which brings a fresh recovery code for the new key', async () => {
    const t = await makeTenant(app.ctx);
    const m = await makeMailbox(app.ctx, { domainId: t.domain.id, encryptionMode: 'generated' });
    await provisionMailboxKeys(app.ctx, m, TEST_PASSWORD);
    const temporary = 'provisoire pour le trésorier';
    await app.client.request('POST', `/api/v1/mailboxes/${m.address}/password`, {
      as: t.actors.admin,
      body: { newPassword: temporary },
    });
    const owner = (await loadMailboxActor(app.ctx, m.id)) as Actor;
    const blocked = await app.client.request('GET', `/api/v1/mailboxes/${m.address}/keys`, { as: owner });
    expect(blocked.body.error.code).toBe('password_change_required');
    const chosen = await app.client.request('POST', `/api/v1/mailboxes/${m.address}/password`, {
      as: owner,
      body: { currentPassword: temporary, newPassword: 'ma propre phrase de passe' },
    });
    expect(chosen.body).toMatchObject({
      kind: 'change',
      recoveryCode: expect.stringMatching(/^(\w{4}-){7}\w{4}$/),
    });
    const view = await app.ctx.db('mta.mailboxes').where({ address: m.address }).first();
    expect(view.password_hash).toMatch(/^\{ARGON2ID\}\$argon2id\$/);

    // The fresh code opens the key the reset made: it recovers the mailbox (spending the code).
    const recovered = await app.client.request('POST', `/api/v1/mailboxes/${m.address}/keys/recover`, {
      body: { recoveryCode: chosen.body.recoveryCode, newPassword: 'encore une autre phrase' },
    });
    expect(recovered.status).toBe(200);
  });
});

describe('a mailbox created with a temporary password set by its admin', () => {
  const app = useTestApp();

  it('gives the admin no recovery code; the owner chooses her password at first login and gets it then', async () => {
    const t = await makeTenant(app.ctx);
    const temporary = 'provisoire pour la secrétaire';
    const res = await app.client.request('POST', `/api/v1/domains/${t.domain.name}/mailboxes`, {
      as: t.actors.admin,
      body: { localPart: 'secretariat', password: temporary, mustChangePassword: true },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ recoveryCode: null, setupLink: null, encryptionMode: 'generated' });
    expect(res.text).not.toMatch(/\w{4}(-\w{4}){7}/);
    const address = res.body.address as string;
    const view = await app.ctx.db('mta.mailboxes').where({ address }).first();
    expect(view.password_hash).toBe('{CRYPT}!');
    const audit = await app.ctx
      .db('audit_log')
      .where({ action: 'mailbox.create', target_id: res.body.id })
      .first();
    expect(audit.details).toMatchObject({ passwordBy: 'admin', temporaryPassword: true });

    const login = await app.client.request('POST', '/api/v1/session', {
      body: { login: address, password: temporary },
    });
    expect(login.body.me).toMatchObject({ type: 'mailbox', mustChangePassword: true });
    const headers = { cookie: login.headers.get('set-cookie')!.split(';')[0], 'x-giroflee-csrf': '1' };
    const chosen = await app.client.request('POST', `/api/v1/mailboxes/${address}/password`, {
      headers,
      body: { currentPassword: temporary, newPassword: 'ma propre phrase de passe' },
    });
    expect(chosen.body).toMatchObject({
      kind: 'change',
      recoveryCode: expect.stringMatching(/^(\w{4}-){7}\w{4}$/),
    });
    expect((await app.ctx.db('mta.mailboxes').where({ address }).first()).password_hash).toMatch(
      /^\{ARGON2ID\}/,
    );
    // Her code opens the mailbox's key, which was made before any mail could arrive.
    const recovered = await app.client.request('POST', `/api/v1/mailboxes/${address}/keys/recover`, {
      body: { recoveryCode: chosen.body.recoveryCode, newPassword: 'encore une autre phrase' },
    });
    expect(recovered.status).toBe(200);
  });
});
