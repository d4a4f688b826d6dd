import { makeTenant } from '../support/factories';
import { useTestApp } from '../support/app';

describe('aliases', () => {
  const app = useTestApp();

  const create = (t: Awaited<ReturnType<typeof makeTenant>>, body: object) =>
    app.client.request('POST', `/api/v1/domains/${t.domain.name}/aliases`, { as: t.actors.admin, body });

  it('creates an alias to internal and external addresses, deduplicated and lowercased', async () => {
    const t = await makeTenant(app.ctx);
    const res = await create(t, {
      localPart: 'Contact',
      destinations: [t.mailbox.address, 'Ami@Ailleurs.example', 'ami@ailleurs.example'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      source: `contact@${t.domain.name}`,
      destinations: [t.mailbox.address, 'ami@ailleurs.example'],
      catchAll: false,
    });
  });

  it('creates a catch-all listed as @domain', async () => {
    const t = await makeTenant(app.ctx);
    const res = await create(t, { localPart: '*', destinations: [t.mailbox.address] });
    expect(res.body).toMatchObject({ source: `@${t.domain.name}`, catchAll: true });
  });

  it('refuses a self-reference', async () => {
    const t = await makeTenant(app.ctx);
    const res = await create(t, { localPart: 'moi', destinations: [`moi@${t.domain.name}`] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('alias_self_reference');
  });

  it('refuses a loop through other aliases', async () => {
    const t = await makeTenant(app.ctx);
    await create(t, { localPart: 'c', destinations: [t.mailbox.address] });
    await create(t, { localPart: 'b', destinations: [`c@${t.domain.name}`] });
    const a = await create(t, { localPart: 'a', destinations: [`b@${t.domain.name}`] });
    expect(a.status).toBe(201);
    const cRow = await app.ctx
      .db('aliases')
      .where({ source: `c@${t.domain.name}` })
      .first();
    const update = await app.client.request('PATCH', `/api/v1/aliases/${cRow.id}`, {
      as: t.actors.admin,
      body: { destinations: [`a@${t.domain.name}`] },
    });
    expect(update.status).toBe(400);
    expect(update.body.error.code).toBe('alias_loop');
  });

  it('refuses a destination in a hosted domain that is neither a mailbox nor an alias, on create and on update', async () => {
    const t = await makeTenant(app.ctx);
    const other = await makeTenant(app.ctx);
    const res = await create(t, { localPart: 'x', destinations: [`nobody@${other.domain.name}`] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'alias_destination_unknown',
      details: { addresses: [`nobody@${other.domain.name}`] },
    });
    expect(
      await app.ctx
        .db('aliases')
        .where({ source: `x@${t.domain.name}` })
        .first(),
    ).toBeUndefined();
    const ok = await create(t, { localPart: 'x', destinations: [other.mailbox.address] });
    expect(ok.status).toBe(201);
    const update = await app.client.request('PATCH', `/api/v1/aliases/${ok.body.id}`, {
      as: t.actors.admin,
      body: { destinations: [`personne@${t.domain.name}`] },
    });
    expect(update.body.error.code).toBe('alias_destination_unknown');
  });

  it('keeps the catch-alls of two collectives from looping through each other', async () => {
    const a = await makeTenant(app.ctx);
    const b = await makeTenant(app.ctx);
    // A's catch-all to an unknown address of B would fall to B's catch-all, and back to A's.
    const toB = await create(a, { localPart: '*', destinations: [`unknown@${b.domain.name}`] });
    expect(toB.body.error.code).toBe('alias_destination_unknown');
    expect(await create(b, { localPart: '*', destinations: [`unknown@${a.domain.name}`] })).toMatchObject({
      status: 400,
    });
    expect(
      await app.ctx.db('aliases').where({ local_part: '*' }).whereIn('domain_id', [a.domain.id, b.domain.id]),
    ).toEqual([]);
  });

  it('refuses an alias on an address that is a mailbox', async () => {
    const t = await makeTenant(app.ctx);
    const res = await create(t, { localPart: t.mailbox.local_part, destinations: ['x@ailleurs.example'] });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('address_taken');
  });

  it('keeps postmaster@ deliverable: its destinations may change, it may not be deleted', async () => {
    const t = await makeTenant(app.ctx);
    const created = await app.client.request('POST', `/api/v1/collectives/${t.collective.slug}/domains`, {
      as: t.actors.admin,
      body: { name: `roles-${Date.now()}.example` },
    });
    const postmaster = await app.ctx
      .db('aliases')
      .where({ domain_id: created.body.id, local_part: 'postmaster' })
      .first();
    const del = await app.client.request('DELETE', `/api/v1/aliases/${postmaster.id}`, {
      as: t.actors.admin,
    });
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('role_address_required');
    const patch = await app.client.request('PATCH', `/api/v1/aliases/${postmaster.id}`, {
      as: t.actors.admin,
      body: { destinations: ['tech@ailleurs.example'] },
    });
    expect(patch.body.destinations).toEqual(['tech@ailleurs.example']);
  });

  it('deletes an alias and audits it with its destinations', async () => {
    const t = await makeTenant(app.ctx);
    const res = await create(t, { localPart: 'temp', destinations: ['x@ailleurs.example'] });
    expect(
      (await app.client.request('DELETE', `/api/v1/aliases/${res.body.id}`, { as: t.actors.admin })).status,
    ).toBe(204);
    const audit = await app.ctx
      .db('audit_log')
      .where({ action: 'alias.delete', target_id: res.body.id })
      .first();
    expect(audit.details).toEqual({ source: `temp@${t.domain.name}`, destinations: ['x@ailleurs.example'] });
  });
});
