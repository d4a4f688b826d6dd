import { MAX_APP_PASSWORDS } from '../../src/app-passwords/app-passwords';
import { useTestApp } from '../support/app';
import { makeTenant } from '../support/factories';
import { freePorts } from '../support/mailstack';

/**
 * The mail-program API without a mail stack: who may do what, what is audited and shown, and
 * how a Dovecot out of reach answers. The real-stack behaviour is in tests/e2e/mail-clients.test.ts.
 */
describe('mail programs API', () => {
  let deadPort: number;
  beforeAll(async () => {
    [deadPort] = await freePorts(1);
  });
  // Nothing listens on these: Dovecot is "down".
  const app = useTestApp({
    config: () => ({
      managesieve: { host: '127.0.0.1', port: deadPort },
      doveadm: { host: '127.0.0.1', port: deadPort },
    }),
  });

  const path = (address: string) => `/api/v1/mailboxes/${address}/app-passwords`;

  describe('app passwords', () => {
    it('shows the password once and never again, not even hashed, and audits by name only', async () => {
      const t = await makeTenant(app.ctx);
      const made = await app.client.request('POST', path(t.mailbox.address), {
        as: t.actors.owner,
        body: { name: 'Thunderbird au bureau' },
      });
      expect(made.status).toBe(201);
      expect(made.body).toMatchObject({ name: 'Thunderbird au bureau', lastUsedAt: null });
      expect(made.body.notice.fr).toContain('ne sera plus jamais affiché');
      const listed = await app.client.request('GET', path(t.mailbox.address), { as: t.actors.admin });
      expect(listed.body).toEqual({
        items: [
          {
            id: made.body.id,
            name: 'Thunderbird au bureau',
            createdAt: expect.any(String),
            lastUsedAt: null,
          },
        ],
        mainPasswordRefused: false,
      });
      const row = await app.ctx.db('app_passwords').where({ id: made.body.id }).first();
      expect(row.secret_hash).not.toContain(made.body.password);
      const audit = await app.ctx.db('audit_log').where({ target_id: t.mailbox.id });
      expect(audit.map((a) => a.action)).toEqual(['mailbox.app_password.create']);
      expect(JSON.stringify(audit)).not.toContain(made.body.password);
    });

    it('lets only the owner create, revoke or change the policy; admins may only see the names', async () => {
      const t = await makeTenant(app.ctx);
      const other = await makeTenant(app.ctx);
      const made = await app.client.request('POST', path(t.mailbox.address), {
        as: t.actors.owner,
        body: { name: 'Téléphone' },
      });
      for (const [actor, status] of [
        [t.actors.admin, 403],
        [other.actors.owner, 404],
        [other.actors.admin, 404],
      ] as const) {
        const create = await app.client.request('POST', path(t.mailbox.address), {
          as: actor,
          body: { name: 'x' },
        });
        const revoke = await app.client.request('DELETE', `${path(t.mailbox.address)}/${made.body.id}`, {
          as: actor,
        });
        const policy = await app.client.request('PATCH', `${path(t.mailbox.address)}/settings`, {
          as: actor,
          body: { mainPasswordRefused: true },
        });
        expect([create.status, revoke.status, policy.status]).toEqual([status, status, status]);
      }
      expect(await app.ctx.db('app_passwords').where({ mailbox_id: t.mailbox.id })).toHaveLength(1);
    });

    it('refuses a duplicate name and one app password too many, in French and English', async () => {
      const t = await makeTenant(app.ctx);
      const make = (name: string) =>
        app.client.request('POST', path(t.mailbox.address), { as: t.actors.owner, body: { name } });
      expect((await make('appareil 0')).status).toBe(201);
      const dup = await make('appareil 0');
      expect([dup.status, dup.body.error.code]).toEqual([409, 'app_password_name_taken']);
      for (let i = 1; i < MAX_APP_PASSWORDS; i += 1) expect((await make(`appareil ${i}`)).status).toBe(201);
      const extra = await make('un de trop');
      expect(extra.status).toBe(409);
      expect(extra.body.error.code).toBe('too_many_app_passwords');
      expect(extra.body.error.message).toContain('révoquez');
      const empty = await make('   ');
      expect(empty.body.error.code).toBe('validation_failed');
    });

    it('answers 404 when revoking an unknown app password', async () => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request(
        'DELETE',
        `${path(t.mailbox.address)}/00000000-0000-4000-8000-000000000000`,
        {
          as: t.actors.owner,
        },
      );
      expect(res.status).toBe(404);
    });
  });

  describe('Dovecot out of reach', () => {
    it('answers 503 in French and English for the quota and the filters, and changes nothing', async () => {
      const t = await makeTenant(app.ctx);
      const quota = await app.client.request('GET', `/api/v1/mailboxes/${t.mailbox.address}/quota`, {
        as: t.actors.admin,
      });
      expect(quota.status).toBe(503);
      expect(quota.body.error.message).toContain('Dovecot');
      const put = await app.client.request('PUT', `/api/v1/mailboxes/${t.mailbox.address}/sieve`, {
        as: t.actors.owner,
        body: { vacation: null, filters: [] },
      });
      expect(put.status).toBe(503);
      expect(await app.ctx.db('audit_log').where({ target_id: t.mailbox.id })).toHaveLength(0);
    });
  });

  describe('filters', () => {
    it.each([
      [{ vacation: { subject: '', body: 'x' }, filters: [] }],
      [{ vacation: { subject: 'a', body: 'b', from: '2026-12-10', until: '2026-12-01' }, filters: [] }],
      [{ vacation: null, filters: [{ field: 'from', match: 'is', value: 'a@b', action: 'move' }] }],
      [{ vacation: null, filters: [{ field: 'body', match: 'is', value: 'x', action: 'discard' }] }],
      [{ vacation: null, filters: [{ field: 'from', match: 'is', value: 'a\u0000', action: 'discard' }] }],
    ])('refuses %j before asking Dovecot', async (body) => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('PUT', `/api/v1/mailboxes/${t.mailbox.address}/sieve`, {
        as: t.actors.owner,
        body,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    });

    it('keeps the rules to the owner: an admin of the collective may not read or set them', async () => {
      const t = await makeTenant(app.ctx);
      const get = await app.client.request('GET', `/api/v1/mailboxes/${t.mailbox.address}/sieve`, {
        as: t.actors.admin,
      });
      const put = await app.client.request('PUT', `/api/v1/mailboxes/${t.mailbox.address}/sieve`, {
        as: t.actors.admin,
        body: { vacation: null, filters: [] },
      });
      expect([get.status, put.status]).toEqual([403, 403]);
    });
  });
});
