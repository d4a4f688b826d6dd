import { makeRacine, makeTenant } from '../support/factories';
import { useTestApp } from '../support/app';

describe('GET /api/v1/audit', () => {
  const app = useTestApp();

  async function renameTwice(t: Awaited<ReturnType<typeof makeTenant>>) {
    for (const name of ['Premier nom', 'Second nom']) {
      await app.client.request('PATCH', `/api/v1/collectives/${t.collective.slug}`, {
        as: t.actors.admin,
        body: { name },
      });
      app.ctx.clock.advance(60_000);
    }
  }

  it('shows a collective admin only their collective, newest first, with before/after', async () => {
    const a = await makeTenant(app.ctx);
    const b = await makeTenant(app.ctx);
    await renameTwice(a);
    await renameTwice(b);
    const res = await app.client.request('GET', '/api/v1/audit', { as: a.actors.admin });
    expect(res.status).toBe(200);
    expect(res.body.items.every((i: { collectiveId: string }) => i.collectiveId === a.collective.id)).toBe(
      true,
    );
    expect(res.body.items[0].details).toEqual({ name: { before: 'Premier nom', after: 'Second nom' } });
    expect(res.body.items[0].actor.label).toBe(a.admin.email);
  });

  it('is refused to a plain member', async () => {
    const t = await makeTenant(app.ctx);
    expect((await app.client.request('GET', '/api/v1/audit', { as: t.actors.member })).status).toBe(404);
  });

  it('lets a racine filter by actor and time, and page', async () => {
    const t = await makeTenant(app.ctx);
    const { actor } = await makeRacine(app.ctx);
    await renameTwice(t);
    const byActor = await app.client.request(
      'GET',
      `/api/v1/audit?actor=${encodeURIComponent(t.admin.email)}&limit=1`,
      {
        as: actor,
      },
    );
    expect(byActor.body.items).toHaveLength(1);
    expect(byActor.body.nextBefore).toEqual(expect.any(Number));
    const next = await app.client.request(
      'GET',
      `/api/v1/audit?actor=${encodeURIComponent(t.admin.email)}&limit=1&before=${byActor.body.nextBefore}`,
      {
        as: actor,
      },
    );
    expect(next.body.items[0].id).toBeLessThan(byActor.body.items[0].id);
    const future = await app.client.request('GET', `/api/v1/audit?since=2999-01-01T00:00:00Z`, { as: actor });
    expect(future.body.items).toEqual([]);
  });

  it('finds an actor by part of its name, whatever the case, with % and _ taken literally', async () => {
    const t = await makeTenant(app.ctx);
    const { actor } = await makeRacine(app.ctx);
    await renameTwice(t);
    const search = async (who: string) =>
      (
        await app.client.request('GET', `/api/v1/audit?actor=${encodeURIComponent(who)}`, { as: actor })
      ).body.items.map((i: { actor: { label: string } }) => i.actor.label);
    const part = t.admin.email.split('@')[0].toUpperCase();
    expect(await search(part)).toEqual([t.admin.email, t.admin.email]);
    expect(await search(t.admin.id)).toEqual([t.admin.email, t.admin.email]);
    expect(await search('%')).toEqual([]);
    expect(await search('_')).toEqual([]);
  });

  it('never records an IP address', async () => {
    const rows = await app.ctx.db('audit_log').select('details');
    expect(JSON.stringify(rows)).not.toMatch(/127\.0\.0\.1|::1|::ffff/);
  });

  it('filters by an action, or by every action of a kind when it ends with a dot', async () => {
    const t = await makeTenant(app.ctx);
    await renameTwice(t);
    await app.client.request('POST', `/api/v1/collectives/${t.collective.slug}/tokens`, {
      as: t.actors.admin,
      body: { name: 'script' },
    });
    const get = async (action: string) =>
      (
        await app.client.request('GET', `/api/v1/audit?collective=${t.collective.slug}&action=${action}`, {
          as: t.actors.admin,
        })
      ).body.items.map((i: { action: string }) => i.action);
    expect(await get('collective.update')).toEqual(['collective.update', 'collective.update']);
    expect(await get('token.')).toEqual(['token.create']);
    expect(await get('collective_.')).toEqual([]);
    const bad = await app.client.request('GET', `/api/v1/audit?action=${encodeURIComponent('%')}`, {
      as: t.actors.admin,
    });
    expect(bad.status).toBe(400);
  });
});
