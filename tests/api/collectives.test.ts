import {
  makeAccount,
  makeApiToken,
  makeMailbox,
  makeRacine,
  makeTenant,
  TEST_PASSWORD,
} from '../support/factories';
import { useTestApp } from '../support/app';

describe('collectives, members and tokens', () => {
  const app = useTestApp();

  describe('POST /api/v1/collectives', () => {
    it('lets a racine create a collective and audits it', async () => {
      const { actor } = await makeRacine(app.ctx);
      const res = await app.client.request('POST', '/api/v1/collectives', {
        as: actor,
        body: { slug: 'les-chatons', name: 'Les Chatons' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ slug: 'les-chatons', name: 'Les Chatons' });
      const audit = await app.ctx
        .db('audit_log')
        .where({ action: 'collective.create', target_id: res.body.id });
      expect(audit).toHaveLength(1);
    });

    it('forbids a collective admin', async () => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('POST', '/api/v1/collectives', {
        as: t.actors.admin,
        body: { slug: 'sneaky', name: 'Sneaky' },
      });
      expect(res.status).toBe(403);
      expect(await app.ctx.db('collectives').where({ slug: 'sneaky' })).toHaveLength(0);
    });

    it.each([
      [{ slug: 'Bad Slug', name: 'x' }, 'validation_failed'],
      [{ slug: 'ok-slug', name: '' }, 'validation_failed'],
      [{ slug: 'ok-slug', name: 'x', extra: true }, 'validation_failed'],
      [{ slug: "x'; DROP TABLE collectives;--", name: 'x' }, 'validation_failed'],
    ])('refuses bad input %j with %s and changes nothing', async (body, code) => {
      const { actor } = await makeRacine(app.ctx);
      const before = await app.ctx.db('collectives').count({ n: '*' });
      const res = await app.client.request('POST', '/api/v1/collectives', { as: actor, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(code);
      expect(await app.ctx.db('collectives').count({ n: '*' })).toEqual(before);
    });

    it('answers 409 for a slug already taken', async () => {
      const { actor } = await makeRacine(app.ctx);
      await app.client.request('POST', '/api/v1/collectives', {
        as: actor,
        body: { slug: 'twice', name: 'A' },
      });
      const res = await app.client.request('POST', '/api/v1/collectives', {
        as: actor,
        body: { slug: 'twice', name: 'B' },
      });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('collective_exists');
    });

    it('answers 413 for an oversized body', async () => {
      const { actor } = await makeRacine(app.ctx);
      const res = await app.client.request('POST', '/api/v1/collectives', {
        as: actor,
        body: { slug: 'big', name: 'x'.repeat(300_000) },
      });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });

    it('answers 400 for malformed JSON', async () => {
      const { actor } = await makeRacine(app.ctx);
      const res = await app.client.request('POST', '/api/v1/collectives', {
        as: actor,
        raw: '{"slug": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('malformed_json');
    });
  });

  it('lists only the collectives an account belongs to', async () => {
    const a = await makeTenant(app.ctx);
    await makeTenant(app.ctx);
    const res = await app.client.request('GET', '/api/v1/collectives', { as: a.actors.member });
    expect(res.body.items.map((c: { slug: string }) => c.slug)).toEqual([a.collective.slug]);
  });

  it('lets an admin rename the collective, not a plain member', async () => {
    const t = await makeTenant(app.ctx);
    const path = `/api/v1/collectives/${t.collective.slug}`;
    expect(
      (await app.client.request('PATCH', path, { as: t.actors.member, body: { name: 'Nope' } })).status,
    ).toBe(403);
    const ok = await app.client.request('PATCH', path, { as: t.actors.admin, body: { name: 'Nouveau nom' } });
    expect(ok.body.name).toBe('Nouveau nom');
    const audit = await app.ctx
      .db('audit_log')
      .where({ action: 'collective.update', target_id: t.collective.id })
      .first();
    expect(audit.details).toEqual({ name: { before: t.collective.name, after: 'Nouveau nom' } });
  });

  it('refuses to delete a collective that still has domains', async () => {
    const t = await makeTenant(app.ctx);
    const { actor } = await makeRacine(app.ctx);
    const res = await app.client.request('DELETE', `/api/v1/collectives/${t.collective.slug}`, { as: actor });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('collective_has_domains');
  });

  describe('members', () => {
    it('never removes the last admin', async () => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request(
        'DELETE',
        `/api/v1/collectives/${t.collective.slug}/members/${t.admin.id}`,
        {
          as: t.actors.admin,
        },
      );
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('last_admin');
    });

    it('changes a member’s role on an admin’s word, audited, and never demotes the last admin', async () => {
      const t = await makeTenant(app.ctx);
      const path = (id: string) => `/api/v1/collectives/${t.collective.slug}/members/${id}`;
      const promoted = await app.client.request('PATCH', path(t.member.id), {
        as: t.actors.admin,
        body: { role: 'admin' },
      });
      expect(promoted.status).toBe(200);
      expect(promoted.body).toMatchObject({ accountId: t.member.id, email: t.member.email, role: 'admin' });
      const audit = await app.ctx
        .db('audit_log')
        .where({ action: 'member.role', target_id: t.member.id })
        .first();
      expect(audit).toMatchObject({
        collective_id: t.collective.id,
        details: { from: 'member', to: 'admin' },
      });

      // Two admins now: the first may step down, and then the other is the last.
      const down = await app.client.request('PATCH', path(t.admin.id), {
        as: t.actors.admin,
        body: { role: 'member' },
      });
      expect(down.body.role).toBe('member');
      const last = await app.client.request('PATCH', path(t.member.id), {
        as: (await makeRacine(app.ctx)).actor,
        body: { role: 'member' },
      });
      expect(last.status).toBe(409);
      expect(last.body.error.code).toBe('last_admin');
      expect(last.body.error.message).toMatch(/admin/);
      const roles = await app.ctx.db('memberships').where({ collective_id: t.collective.id }).pluck('role');
      expect(roles.sort()).toEqual(['admin', 'member']);
    });

    it('lets neither a member nor a token change roles, and says nothing of other collectives', async () => {
      const t = await makeTenant(app.ctx);
      const other = await makeTenant(app.ctx);
      const path = `/api/v1/collectives/${t.collective.slug}/members/${t.member.id}`;
      const byMember = await app.client.request('PATCH', path, {
        as: t.actors.member,
        body: { role: 'admin' },
      });
      expect(byMember.status).toBe(403);
      const token = { type: 'token' as const, id: 't', name: 't', collectiveId: t.collective.id };
      expect((await app.client.request('PATCH', path, { as: token, body: { role: 'admin' } })).status).toBe(
        403,
      );
      const byStranger = await app.client.request('PATCH', path, {
        as: other.actors.admin,
        body: { role: 'admin' },
      });
      expect(byStranger.status).toBe(404);
      const bad = await app.client.request('PATCH', path, { as: t.actors.admin, body: { role: 'racine' } });
      expect(bad.status).toBe(400);
      expect(await app.ctx.db('memberships').where({ account_id: t.member.id }).pluck('role')).toEqual([
        'member',
      ]);
      expect(
        await app.ctx.db('audit_log').where({ action: 'member.role', target_id: t.member.id }),
      ).toHaveLength(0);
    });
  });

  describe('API tokens', () => {
    it('shows a token once, stores only its hash, and lets it act as an admin of its collective only', async () => {
      const t = await makeTenant(app.ctx);
      const other = await makeTenant(app.ctx);
      const created = await app.client.request('POST', `/api/v1/collectives/${t.collective.slug}/tokens`, {
        as: t.actors.admin,
        body: { name: 'script de sauvegarde' },
      });
      expect(created.status).toBe(201);
      const token = created.body.token as string;
      expect(token).toMatch(/^gft_/);
      const stored = await app.ctx.db('api_tokens').where({ id: created.body.id }).first();
      expect(JSON.stringify(stored)).not.toContain(token);

      const listed = await app.client.request('GET', `/api/v1/collectives/${t.collective.slug}/tokens`, {
        as: t.actors.admin,
      });
      expect(JSON.stringify(listed.body)).not.toContain(token);

      const bearer = { authorization: `Bearer ${token}` };
      expect(
        (await app.client.request('GET', `/api/v1/domains/${t.domain.name}`, { headers: bearer })).status,
      ).toBe(200);
      expect(
        (await app.client.request('GET', `/api/v1/domains/${other.domain.name}`, { headers: bearer })).status,
      ).toBe(404);

      await app.client.request(
        'DELETE',
        `/api/v1/collectives/${t.collective.slug}/tokens/${created.body.id}`,
        {
          as: t.actors.admin,
        },
      );
      expect(
        (await app.client.request('GET', `/api/v1/domains/${t.domain.name}`, { headers: bearer })).status,
      ).toBe(401);
    });
  });
  describe('PUT /api/v1/collectives/:slug/suspension', () => {
    const suspension = (slug: string) => `/api/v1/collectives/${slug}/suspension`;
    const login = (login: string, password = TEST_PASSWORD) =>
      app.client.request('POST', '/api/v1/session', { body: { login, password } });

    it('lets a racine suspend a collective with a reason and lift it, both audited', async () => {
      const { actor } = await makeRacine(app.ctx);
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('PUT', suspension(t.collective.slug), {
        as: actor,
        body: { suspended: true, reason: 'Cotisation 2026 impayée' },
      });
      expect(res.status).toBe(200);
      expect(res.body.suspension).toEqual({ since: expect.any(String), reason: 'Cotisation 2026 impayée' });
      const again = await app.client.request('PUT', suspension(t.collective.slug), {
        as: actor,
        body: { suspended: true, reason: 'twice' },
      });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('collective_already_suspended');
      const listed = await app.client.request('GET', '/api/v1/collectives', { as: actor });
      expect(
        listed.body.items.find((c: { id: string }) => c.id === t.collective.id).suspension,
      ).not.toBeNull();

      const lifted = await app.client.request('PUT', suspension(t.collective.slug), {
        as: actor,
        body: { suspended: false, reason: 'Cotisation reçue' },
      });
      expect(lifted.status).toBe(200);
      expect(lifted.body.suspension).toBeNull();
      const audit = await app.ctx
        .db('audit_log')
        .where({ target_id: t.collective.id })
        .whereIn('action', ['collective.suspend', 'collective.resume'])
        .orderBy('at')
        .select('action', 'details');
      expect(audit).toEqual([
        {
          action: 'collective.suspend',
          details: { slug: t.collective.slug, reason: 'Cotisation 2026 impayée' },
        },
        { action: 'collective.resume', details: { slug: t.collective.slug, reason: 'Cotisation reçue' } },
      ]);
    });

    describe('the sessions its mailboxes had open', () => {
      let kicked: string[][];
      afterEach(() => {
        app.ctx.sessionKicker = undefined;
      });
      const recording = () => {
        kicked = [];
        app.ctx.sessionKicker = { kick: async (addresses) => void kicked.push([...addresses].sort()) };
      };

      it('ends them once the suspension is done: Dovecot kicks every mailbox, webmail sessions stay revoked after the lift', async () => {
        recording();
        const { actor } = await makeRacine(app.ctx);
        const t = await makeTenant(app.ctx);
        const second = await makeMailbox(app.ctx, { domainId: t.domain.id });
        const other = await makeTenant(app.ctx);
        const before = await login(t.mailbox.address);
        const untouched = await login(other.mailbox.address);
        const cookie = (res: { headers: Headers }) => ({
          cookie: res.headers.get('set-cookie')!.split(';')[0],
        });

        const res = await app.client.request('PUT', suspension(t.collective.slug), {
          as: actor,
          body: { suspended: true, reason: 'Compte compromis' },
        });
        expect(res.status).toBe(200);
        expect(res.body.sessions).toEqual({ ended: true });
        expect(kicked).toEqual([[t.mailbox.address, second.address].sort()]);

        const lifted = await app.client.request('PUT', suspension(t.collective.slug), {
          as: actor,
          body: { suspended: false, reason: 'Mot de passe changé' },
        });
        expect(lifted.body.sessions).toBeUndefined();
        expect(kicked).toHaveLength(1);
        expect((await app.client.request('GET', '/api/v1/me', { headers: cookie(before) })).status).toBe(401);
        expect((await app.client.request('GET', '/api/v1/me', { headers: cookie(untouched) })).status).toBe(
          200,
        );
      });

      it('keeps the suspension when Dovecot cannot end them, and says so in the reply and the audit log', async () => {
        app.ctx.sessionKicker = {
          kick: async () => {
            throw new Error('connect ECONNREFUSED');
          },
        };
        const { actor } = await makeRacine(app.ctx);
        const t = await makeTenant(app.ctx);
        const res = await app.client.request('PUT', suspension(t.collective.slug), {
          as: actor,
          body: { suspended: true, reason: 'Abus signalé' },
        });
        expect(res.status).toBe(200);
        expect(res.body.suspension).toMatchObject({ reason: 'Abus signalé' });
        expect(res.body.sessions).toEqual({
          ended: false,
          code: 'sessions_not_ended',
          message: { fr: expect.stringContaining('Dovecot'), en: expect.stringContaining('next login') },
        });
        expect(
          (await app.ctx.db('collectives').where({ id: t.collective.id }).first()).suspended_at,
        ).not.toBeNull();
        const audit = await app.ctx
          .db('audit_log')
          .where({ target_id: t.collective.id })
          .orderBy('at')
          .select('action', 'details');
        expect(audit).toEqual([
          { action: 'collective.suspend', details: { slug: t.collective.slug, reason: 'Abus signalé' } },
          {
            action: 'collective.suspend.partial',
            details: { slug: t.collective.slug, sessions: 'not_ended', mailboxes: 1 },
          },
        ]);
      });
    });

    it('forbids the collective’s own admin and token, hides it from another collective, changes nothing', async () => {
      const t = await makeTenant(app.ctx);
      const other = await makeTenant(app.ctx);
      const token = await makeApiToken(app.ctx, { collectiveId: t.collective.id });
      const body = { suspended: true, reason: 'self' };
      for (const [as, status] of [
        [t.actors.admin, 403],
        [token.actor, 403],
        [t.actors.owner, 404],
        [other.actors.admin, 404],
      ] as const) {
        const res = await app.client.request('PUT', suspension(t.collective.slug), { as, body });
        expect(res.status).toBe(status);
      }
      const row = await app.ctx.db('collectives').where({ id: t.collective.id }).first();
      expect(row.suspended_at).toBeNull();
      expect(
        await app.ctx.db('audit_log').where({ action: 'collective.suspend', target_id: t.collective.id }),
      ).toEqual([]);
    });

    it.each([
      [{ suspended: true }],
      [{ suspended: true, reason: '  ' }],
      [{ reason: 'x' }],
      [{ suspended: 'yes', reason: 'x' }],
    ])('refuses %j with 400 and changes nothing', async (body) => {
      const { actor } = await makeRacine(app.ctx);
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('PUT', suspension(t.collective.slug), { as: actor, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(
        (await app.ctx.db('collectives').where({ id: t.collective.id }).first()).suspended_at,
      ).toBeNull();
    });

    it('keeps its people out while suspended (console, webmail login, token) and lets them back once lifted', async () => {
      const { actor: racine } = await makeRacine(app.ctx);
      const t = await makeTenant(app.ctx);
      const elsewhere = await makeTenant(app.ctx);
      // A member of two collectives keeps the other one.
      const both = await makeAccount(app.ctx, { collectiveId: t.collective.id, role: 'admin' });
      await app.ctx
        .db('memberships')
        .insert({ account_id: both.id, collective_id: elsewhere.collective.id, role: 'member' });
      const token = await makeApiToken(app.ctx, { collectiveId: t.collective.id });
      const bearer = { authorization: `Bearer ${token.token}` };
      const adminSession = await login(t.admin.email);
      const ownerSession = await login(t.mailbox.address);
      const cookie = (res: { headers: Headers }) => ({
        cookie: res.headers.get('set-cookie')!.split(';')[0],
      });
      expect((await app.client.request('GET', '/api/v1/me', { headers: cookie(ownerSession) })).status).toBe(
        200,
      );

      await app.client.request('PUT', suspension(t.collective.slug), {
        as: racine,
        body: { suspended: true, reason: 'Abus signalé' },
      });
      for (const who of [t.admin.email, t.mailbox.address]) {
        const res = await login(who);
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('collective_suspended');
      }
      // Only whoever knows the password learns why.
      const wrong = await login(t.admin.email, 'not the password at all');
      expect(wrong.body.error.code).toBe('invalid_credentials');
      for (const res of [adminSession, ownerSession]) {
        expect((await app.client.request('GET', '/api/v1/me', { headers: cookie(res) })).status).toBe(401);
      }
      expect(
        (await app.client.request('GET', `/api/v1/domains/${t.domain.name}`, { headers: bearer })).status,
      ).toBe(401);
      const bothSession = await login(both.email);
      expect(bothSession.status).toBe(200);
      const seen = await app.client.request('GET', '/api/v1/collectives', { headers: cookie(bothSession) });
      expect(seen.body.items.map((c: { slug: string }) => c.slug)).toEqual([elsewhere.collective.slug]);
      expect(
        (
          await app.client.request('GET', `/api/v1/domains/${t.domain.name}`, {
            headers: cookie(bothSession),
          })
        ).status,
      ).toBe(404);

      await app.client.request('PUT', suspension(t.collective.slug), {
        as: racine,
        body: { suspended: false, reason: 'Réglé' },
      });
      expect((await login(t.admin.email)).status).toBe(200);
      expect((await login(t.mailbox.address)).status).toBe(200);
      expect(
        (await app.client.request('GET', `/api/v1/domains/${t.domain.name}`, { headers: bearer })).status,
      ).toBe(200);
    });
  });
});
