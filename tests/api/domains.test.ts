import { makeDomain, makeMailbox, makeRacine, makeTenant } from '../support/factories';
import { useTestApp } from '../support/app';
import { recordingKicker } from '../support/session-kicker';

describe('domains', () => {
  const app = useTestApp();

  describe('POST /api/v1/collectives/:slug/domains', () => {
    it('creates a pending domain with its verification record and role aliases to the admins', async () => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('POST', `/api/v1/collectives/${t.collective.slug}/domains`, {
        as: t.actors.admin,
        body: { name: 'Jardin-Partagé.example' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: 'xn--jardin-partag-nhb.example',
        unicodeName: 'jardin-partagé.example',
        status: 'pending',
        verification: { type: 'TXT', name: '_giroflee.xn--jardin-partag-nhb.example' },
      });
      expect(res.body.verification.value).toMatch(/^giroflee-verification=[0-9a-f]{40}$/);
      const aliases = await app.ctx.db('aliases').where({ domain_id: res.body.id }).orderBy('local_part');
      expect(aliases.map((a) => [a.local_part, a.destinations])).toEqual([
        ['abuse', [t.admin.email]],
        ['postmaster', [t.admin.email]],
      ]);
    });

    it('refuses a domain already held by another collective, with a clear message', async () => {
      const a = await makeTenant(app.ctx);
      const b = await makeTenant(app.ctx);
      const res = await app.client.request('POST', `/api/v1/collectives/${b.collective.slug}/domains`, {
        as: b.actors.admin,
        body: { name: a.domain.name },
      });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('domain_taken');
      expect(res.body.error.message).toMatch(/autre collectif/);
    });

    it('refuses a subdomain of a domain held by another collective', async () => {
      const a = await makeTenant(app.ctx);
      const b = await makeTenant(app.ctx);
      const res = await app.client.request('POST', `/api/v1/collectives/${b.collective.slug}/domains`, {
        as: b.actors.admin,
        body: { name: `lists.${a.domain.name}` },
      });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('parent_domain_taken');
    });

    it('lets two collectives claim the same pending name', async () => {
      const a = await makeTenant(app.ctx);
      const b = await makeTenant(app.ctx);
      for (const t of [a, b]) {
        const res = await app.client.request('POST', `/api/v1/collectives/${t.collective.slug}/domains`, {
          as: t.actors.admin,
          body: { name: 'disputed.example' },
        });
        expect(res.status).toBe(201);
      }
      const seenByA = await app.client.request('GET', '/api/v1/domains/disputed.example', {
        as: a.actors.admin,
      });
      expect(seenByA.body.collective).toBe(a.collective.slug);
    });

    it.each([
      ['localhost'],
      ['-x.example'],
      ['a'.repeat(64) + '.example'],
      ['192.0.2.1'],
      ["x.example' OR 1=1 --"],
    ])('refuses the invalid name %p with a 400 and creates nothing', async (name) => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('POST', `/api/v1/collectives/${t.collective.slug}/domains`, {
        as: t.actors.admin,
        body: { name },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details.issues[0].code).toMatch(/^domain_/);
      expect(await app.ctx.db('domains').where({ collective_id: t.collective.id })).toHaveLength(1);
    });

    it('is refused to a plain member', async () => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('POST', `/api/v1/collectives/${t.collective.slug}/domains`, {
        as: t.actors.member,
        body: { name: 'member-tries.example' },
      });
      expect(res.status).toBe(403);
    });
  });

  describe('DELETE /api/v1/domains/:name', () => {
    // Dovecot's doveadm API, which ends the sessions of the mailboxes a forced deletion takes.
    let kicker: ReturnType<typeof recordingKicker>;
    beforeEach(() => {
      kicker = recordingKicker();
      app.ctx.sessionKicker = kicker;
    });
    afterEach(() => (app.ctx.sessionKicker = undefined));

    it('refuses while mailboxes exist, and a collective admin may not force', async () => {
      const t = await makeTenant(app.ctx);
      const res = await app.client.request('DELETE', `/api/v1/domains/${t.domain.name}`, {
        as: t.actors.admin,
      });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('domain_has_mailboxes');
      const forced = await app.client.request('DELETE', `/api/v1/domains/${t.domain.name}?force=true`, {
        as: t.actors.admin,
      });
      expect(forced.status).toBe(403);
    });

    it('lets a racine force it, taking mailboxes and aliases along, audited', async () => {
      const t = await makeTenant(app.ctx);
      await makeMailbox(app.ctx, { domainId: t.domain.id });
      const { actor } = await makeRacine(app.ctx);
      const res = await app.client.request('DELETE', `/api/v1/domains/${t.domain.name}?force=true`, {
        as: actor,
      });
      expect(res.status).toBe(204);
      expect(await app.ctx.db('mailboxes').where({ domain_id: t.domain.id })).toHaveLength(0);
      const audit = await app.ctx
        .db('audit_log')
        .where({ action: 'domain.delete', target_id: t.domain.id })
        .first();
      expect(audit.details).toMatchObject({ forced: true, mailboxesDeleted: 2 });
    });

    it('has Dovecot end the open sessions of the mailboxes a forced deletion takes, and says when it could not', async () => {
      const { actor } = await makeRacine(app.ctx);
      const t = await makeTenant(app.ctx);
      const second = await makeMailbox(app.ctx, { domainId: t.domain.id });
      const res = await app.client.request('DELETE', `/api/v1/domains/${t.domain.name}?force=true`, {
        as: actor,
      });
      expect(res.status).toBe(204);
      expect(kicker.kicked).toEqual([[t.mailbox.address, second.address].sort()]);

      kicker.failing = true;
      const u = await makeTenant(app.ctx);
      const partial = await app.client.request('DELETE', `/api/v1/domains/${u.domain.name}?force=true`, {
        as: actor,
      });
      expect(partial.status).toBe(200);
      expect(partial.body).toMatchObject({ sessions: { ended: false, code: 'sessions_not_ended' } });
      expect(await app.ctx.db('domains').where({ id: u.domain.id })).toHaveLength(0);
      expect(
        await app.ctx.db('audit_log').where({ target_id: u.domain.id }).orderBy('at').pluck('action'),
      ).toEqual(['domain.delete', 'domain.delete.partial']);
    });

    it('deletes an empty domain for its admin', async () => {
      const t = await makeTenant(app.ctx);
      const empty = await makeDomain(app.ctx, { collectiveId: t.collective.id });
      const res = await app.client.request('DELETE', `/api/v1/domains/${empty.name}`, { as: t.actors.admin });
      expect(res.status).toBe(204);
    });
  });

  it('lists a collective’s domains for its members', async () => {
    const t = await makeTenant(app.ctx);
    const res = await app.client.request('GET', `/api/v1/collectives/${t.collective.slug}/domains`, {
      as: t.actors.member,
    });
    expect(res.body.items.map((d: { name: string }) => d.name)).toEqual([t.domain.name]);
    expect(res.body.items[0].verification).toBeNull();
  });
});
