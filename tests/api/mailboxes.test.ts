import { makeAlias, makeMailbox, makeRacine, makeTenant, TEST_PASSWORD } from '../support/factories';
import { useTestApp } from '../support/app';
import { freePorts } from '../support/mailstack';
import { recordingKicker } from '../support/session-kicker';

describe('mailboxes', () => {
  const app = useTestApp();

  const NEW_PASSWORD = 'un mot de passe assez long';

  describe('POST /api/v1/domains/:name/mailboxes', () => {
    it('creates a mailbox with a Dovecot-order argon2id hash, a key and a recovery code shown once', async () => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('POST', `/api/v1/domains/${t.domain.name}/mailboxes`, {
        as: t.actors.admin,
        body: { localPart: 'Camille', password: NEW_PASSWORD, displayName: 'Camille D.' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        address: `camille@${t.domain.name}`,
        displayName: 'Camille D.',
        encryptionMode: 'generated',
        quotaBytes: 1024 ** 3,
      });
      expect(res.body.recoveryCode).toEqual(expect.any(String));
      expect(JSON.stringify(res.body)).not.toMatch(/argon2/);
      const row = await app.ctx.db('mailboxes').where({ id: res.body.id }).first();
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
      expect(await app.ctx.db('mailbox_keys').where({ mailbox_id: res.body.id })).toHaveLength(1);
      const again = await app.client.request('GET', `/api/v1/mailboxes/camille@${t.domain.name}`, {
        as: t.actors.admin,
      });
      expect(again.body.recoveryCode).toBeUndefined();
    });

    it.each([
      [{ localPart: 'short', password: 'court' }, 'password_too_short'],
      [{ localPart: 'common', password: 'qwertyuiop123' }, 'password_too_weak'],
      [{ localPart: 'a..b', password: NEW_PASSWORD }, 'validation_failed'],
      [{ localPart: 'x', password: NEW_PASSWORD, quotaBytes: -1 }, 'validation_failed'],
      [{ localPart: 'x', password: NEW_PASSWORD, admin: true }, 'validation_failed'],
    ])('refuses %j with %s and creates nothing', async (body, code) => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('POST', `/api/v1/domains/${t.domain.name}/mailboxes`, {
        as: t.actors.admin,
        body,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(code);
      expect(await app.ctx.db('mailboxes').where({ domain_id: t.domain.id })).toHaveLength(1);
    });

    it('refuses an unencrypted mailbox when the platform policy forbids it', async () => {
      const t = await makeTenant(app.ctx);
      const { actor: racine } = await makeRacine(app.ctx);
      const create = (as: typeof racine) =>
        app.client.request('POST', `/api/v1/domains/${t.domain.name}/mailboxes`, {
          as,
          body: { localPart: 'en-clair', password: NEW_PASSWORD, encryptionMode: 'none' },
        });
      expect(app.ctx.config.encryption.allowUnencrypted).toBe(false);
      expect((await create(racine)).status).toBe(403);
      expect(await app.ctx.db('mailboxes').where({ local_part: 'en-clair' })).toHaveLength(0);
    });

    it('lets only a racine create a mailbox stored in clear, where the platform allows it', async () => {
      const t = await makeTenant(app.ctx);
      const { actor: racine } = await makeRacine(app.ctx);
      app.ctx.config.encryption.allowUnencrypted = true;
      try {
        const create = (as: typeof racine, localPart: string) =>
          app.client.request('POST', `/api/v1/domains/${t.domain.name}/mailboxes`, {
            as,
            body: { localPart, password: NEW_PASSWORD, encryptionMode: 'none' },
          });
        expect((await create(t.actors.admin, 'par-admin')).status).toBe(403);
        expect((await create(racine, 'par-racine')).status).toBe(201);
      } finally {
        app.ctx.config.encryption.allowUnencrypted = false;
      }
    });

    it.each(['a/b', '../x', 'a/../../etc'])(
      'refuses a local part with a path character (%s): it would nest Dovecot homes',
      async (localPart) => {
        const t = await makeTenant(app.ctx);
        const res = await app.client.request('POST', `/api/v1/domains/${t.domain.name}/mailboxes`, {
          as: t.actors.admin,
          body: { localPart, password: NEW_PASSWORD },
        });
        expect(res.status).toBe(400);
        expect(res.body.error.details.issues[0].code).toBe('local_part_invalid');
        expect(await app.ctx.db('mailboxes').where({ domain_id: t.domain.id })).toHaveLength(1);
      },
    );

    it('refuses an address already taken, case-insensitively', async () => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('POST', `/api/v1/domains/${t.domain.name}/mailboxes`, {
        as: t.actors.admin,
        body: {
          localPart: t.mailbox.local_part.toUpperCase(),
          password: NEW_PASSWORD,
        },
      });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('address_taken');
    });

    it('takes over postmaster@ from the automatic alias', async () => {
      const t = await makeTenant(app.ctx);
      await makeAlias(app.ctx, {
        domainId: t.domain.id,
        localPart: 'postmaster',
        destinations: [t.admin.email],
        system: true,
      });
      const res = await app.client.request('POST', `/api/v1/domains/${t.domain.name}/mailboxes`, {
        as: t.actors.admin,
        body: { localPart: 'postmaster', password: NEW_PASSWORD },
      });
      expect(res.status).toBe(201);
      expect(
        await app.ctx.db('aliases').where({ domain_id: t.domain.id, local_part: 'postmaster' }),
      ).toHaveLength(0);
    });
  });

  it('pages through a domain’s mailboxes with an opaque cursor and filters by prefix', async () => {
    const t = await makeTenant(app.ctx);
    for (const p of ['anna', 'anne', 'bob', 'carla', 'cyril'])
      await makeMailbox(app.ctx, { domainId: t.domain.id, localPart: p });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await app.client.request('GET', `/api/v1/domains/${t.domain.name}/mailboxes?${query}`, {
        as: t.actors.member,
      });
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((m: { localPart: string }) => m.localPart));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['anna', 'anne', 'bob', 'carla', 'cyril', t.mailbox.local_part].sort());
    const prefixed = await app.client.request('GET', `/api/v1/domains/${t.domain.name}/mailboxes?prefix=an`, {
      as: t.actors.member,
    });
    expect(prefixed.body.items.map((m: { localPart: string }) => m.localPart)).toEqual(['anna', 'anne']);
    const bad = await app.client.request('GET', `/api/v1/domains/${t.domain.name}/mailboxes?cursor=garbage`, {
      as: t.actors.member,
    });
    expect(bad.body.error.code).toBe('invalid_cursor');
  });

  it('still lists the page when Dovecot does not answer, saying its usage is unknown', async () => {
    const t = await makeTenant(app.ctx);
    const [nobody] = await freePorts(1);
    const saved = app.ctx.config.doveadm;
    app.ctx.config.doveadm = { host: '127.0.0.1', port: nobody };
    try {
      const res = await app.client.request('GET', `/api/v1/domains/${t.domain.name}/mailboxes?usage=true`, {
        as: t.actors.member,
      });
      expect(res.status).toBe(200);
      expect(res.body.usageUnavailable).toBe(true);
      expect(res.body.items).toEqual([expect.objectContaining({ address: t.mailbox.address, usage: null })]);
      const plain = await app.client.request('GET', `/api/v1/domains/${t.domain.name}/mailboxes`, {
        as: t.actors.member,
      });
      expect(plain.body.usageUnavailable).toBeUndefined();
      expect(plain.body.items[0].usage).toBeUndefined();
    } finally {
      app.ctx.config.doveadm = saved;
    }
  });

  describe('PATCH /api/v1/mailboxes/:address', () => {
    it('lets the owner change the display name but not the quota', async () => {
      const t = await makeTenant(app.ctx);
      const path = `/api/v1/mailboxes/${t.mailbox.address}`;
      const ok = await app.client.request('PATCH', path, {
        as: t.actors.owner,
        body: { displayName: 'Moi' },
      });
      expect(ok.body.displayName).toBe('Moi');
      const quota = await app.client.request('PATCH', path, {
        as: t.actors.owner,
        body: { quotaBytes: 10 * 1024 ** 3 },
      });
      expect(quota.status).toBe(403);
    });

    it('lets an admin disable a mailbox, which closes its sessions and removes it from the MTA view', async () => {
      const t = await makeTenant(app.ctx);
      await app.client.request('GET', '/api/v1/me', { as: t.actors.owner });
      const res = await app.client.request('PATCH', `/api/v1/mailboxes/${t.mailbox.address}`, {
        as: t.actors.admin,
        body: { status: 'disabled' },
      });
      expect(res.body.status).toBe('disabled');
      expect((await app.client.request('GET', '/api/v1/me', { as: t.actors.owner })).status).toBe(401);
      expect(await app.ctx.db('mta.mailboxes').where({ address: t.mailbox.address })).toHaveLength(0);
    });

    it('has Dovecot end the open sessions of a mailbox it disables, once, and says when it could not', async () => {
      const kicker = recordingKicker();
      app.ctx.sessionKicker = kicker;
      try {
        const t = await makeTenant(app.ctx);
        const path = `/api/v1/mailboxes/${t.mailbox.address}`;
        const quota = await app.client.request('PATCH', path, {
          as: t.actors.admin,
          body: { quotaBytes: 1e9 },
        });
        expect(quota.body.sessions).toBeUndefined();
        const res = await app.client.request('PATCH', path, {
          as: t.actors.admin,
          body: { status: 'disabled' },
        });
        expect(res.body).toMatchObject({ status: 'disabled', sessions: { ended: true } });
        const again = await app.client.request('PATCH', path, {
          as: t.actors.admin,
          body: { status: 'disabled' },
        });
        expect(again.body.sessions).toBeUndefined();
        expect(kicker.kicked).toEqual([[t.mailbox.address]]);

        kicker.failing = true;
        const u = await makeTenant(app.ctx);
        const partial = await app.client.request('PATCH', `/api/v1/mailboxes/${u.mailbox.address}`, {
          as: u.actors.admin,
          body: { status: 'disabled' },
        });
        expect(partial.status).toBe(200);
        expect(partial.body).toMatchObject({
          status: 'disabled',
          sessions: { ended: false, code: 'sessions_not_ended' },
        });
        expect(
          await app.ctx.db('audit_log').where({ target_id: u.mailbox.id }).orderBy('at').pluck('action'),
        ).toEqual(['mailbox.update', 'mailbox.suspend.partial']);
      } finally {
        app.ctx.sessionKicker = undefined;
      }
    });
  });

  describe('DELETE /api/v1/mailboxes/:address', () => {
    it('has Dovecot end the open sessions of the mailbox it deletes, and says when it could not', async () => {
      const kicker = recordingKicker();
      app.ctx.sessionKicker = kicker;
      try {
        const t = await makeTenant(app.ctx);
        await app.client.request('GET', '/api/v1/me', { as: t.actors.owner });
        const res = await app.client.request('DELETE', `/api/v1/mailboxes/${t.mailbox.address}`, {
          as: t.actors.admin,
        });
        expect(res.status).toBe(204);
        expect(kicker.kicked).toEqual([[t.mailbox.address]]);
        expect((await app.client.request('GET', '/api/v1/me', { as: t.actors.owner })).status).toBe(401);

        kicker.failing = true;
        const u = await makeTenant(app.ctx);
        const partial = await app.client.request('DELETE', `/api/v1/mailboxes/${u.mailbox.address}`, {
          as: u.actors.admin,
        });
        expect(partial.status).toBe(200);
        expect(partial.body).toMatchObject({
          sessions: { ended: false, code: 'sessions_not_ended', message: { fr: expect.any(String) } },
        });
        expect(await app.ctx.db('mailboxes').where({ id: u.mailbox.id })).toHaveLength(0);
        expect(
          await app.ctx.db('audit_log').where({ target_id: u.mailbox.id }).orderBy('at').pluck('action'),
        ).toEqual(['mailbox.delete', 'mailbox.delete.partial']);
      } finally {
        app.ctx.sessionKicker = undefined;
      }
    });
  });

  describe('POST /api/v1/mailboxes/:address/password', () => {
    async function withKey() {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('POST', `/api/v1/domains/${t.domain.name}/mailboxes`, {
        as: t.actors.admin,
        body: { localPart: 'keyed', password: NEW_PASSWORD },
      });
      return { t, address: res.body.address as string };
    }

    it('refuses the owner without the right current password', async () => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('POST', `/api/v1/mailboxes/${t.mailbox.address}/password`, {
        as: t.actors.owner,
        body: { currentPassword: 'not my password!!', newPassword: 'another long password' },
      });
      expect(res.status).toBe(401);
      const login = await app.client.request('POST', '/api/v1/session', {
        body: { login: t.mailbox.address, password: TEST_PASSWORD },
      });
      expect(login.status).toBe(200);
    });

    it('re-wraps the keys on an owner change: same keys, still active', async () => {
      const { address } = await withKey();
      const login = await app.client.request('POST', '/api/v1/session', {
        body: { login: address, password: NEW_PASSWORD },
      });
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const before = await app.ctx
        .db('mailbox_keys')
        .whereIn('mailbox_id', app.ctx.db('mailboxes').select('id').where({ address }));
      const res = await app.client.request('POST', `/api/v1/mailboxes/${address}/password`, {
        headers: { cookie, 'x-giroflee-csrf': '1' },
        body: { currentPassword: NEW_PASSWORD, newPassword: 'une autre phrase secrète' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ kind: 'change', recoveryCode: null });
      const after = await app.ctx
        .db('mailbox_keys')
        .whereIn('mailbox_id', app.ctx.db('mailboxes').select('id').where({ address }));
      expect(after.map((k) => [k.fingerprint, k.state])).toEqual(
        before.map((k) => [k.fingerprint, 'active']),
      );
      expect(after[0].private_key).not.toEqual(before[0].private_key);
    });

    it('on an admin reset, puts a new key in front, locks the old one and says what that means', async () => {
      const { t, address } = await withKey();
      const res = await app.client.request('POST', `/api/v1/mailboxes/${address}/password`, {
        as: t.actors.admin,
        body: { newPassword: 'reset by the admin today' },
      });
      expect(res.body).toMatchObject({ kind: 'reset', recoveryCode: null });
      expect(res.body.consequences.fr).toMatch(/provisoire.*code de secours/s);
      const keys = await app.ctx
        .db('mailbox_keys')
        .whereIn('mailbox_id', app.ctx.db('mailboxes').select('id').where({ address }));
      expect(keys.map((k) => k.state).sort()).toEqual(['active', 'locked']);
    });
  });
});
