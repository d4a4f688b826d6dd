import { makeTenant } from '../support/factories';
import { useTestApp } from '../support/app';

describe('the API’s error answers', () => {
  const app = useTestApp();

  it.each([
    [
      'a collective name',
      'PATCH',
      (t: any) => `/api/v1/collectives/${t.collective.slug}`,
      { name: 'a\u0000b' },
    ],
    [
      'a mailbox display name',
      'PATCH',
      (t: any) => `/api/v1/mailboxes/${t.mailbox.address}`,
      { displayName: 'x\u0000' },
    ],
  ])('answers 400 for a NUL in %s, and changes nothing', async (_what, method, path, body) => {
    const t = await makeTenant(app.ctx);
    const res = await app.client.request(method, path(t), { as: t.actors.admin, body });
    expect(res.status).toBe(400);
    expect(res.body.error.details.issues[0].code).toBe('text_control_characters');
    expect((await app.ctx.db('collectives').where({ id: t.collective.id }).first()).name).toBe(
      t.collective.name,
    );
    expect((await app.ctx.db('mailboxes').where({ id: t.mailbox.id }).first()).display_name).toBeNull();
  });

  it('gives validation details in the language of Accept-Language, French by default', async () => {
    const t = await makeTenant(app.ctx);
    const path = `/api/v1/collectives/${t.collective.slug}`;
    const fr = await app.client.request('PATCH', path, { as: t.actors.admin, body: { name: '' } });
    expect(fr.body.error).toMatchObject({
      code: 'validation_failed',
      message: 'Requête invalide.',
      details: { in: 'body', issues: [{ path: 'name', code: 'too_small' }] },
    });
    expect(fr.body.error.details.issues[0].message).toMatch(/^Trop petit/);
    const en = await app.client.request('PATCH', path, {
      as: t.actors.admin,
      body: { name: 42 },
      headers: { 'accept-language': 'en-GB,en;q=0.9' },
    });
    expect(en.body.error.message).toBe('Invalid request.');
    expect(en.body.error.details.issues[0].message).toBe('Invalid input: expected string, received number');
  });

  it('never echoes a refused value, such as a password, in the details', async () => {
    const t = await makeTenant(app.ctx);
    const res = await app.client.request('POST', `/api/v1/mailboxes/${t.mailbox.address}/password`, {
      as: t.actors.admin,
      body: { newPassword: 12345678901234 },
    });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('12345678901234');
  });
});
