import { makeDomain } from '../support/factories';
import { cliHarness } from '../support/cli';

describe('giroflee racine, collective, domain and mailbox commands', () => {
  const cli = cliHarness();
  beforeAll(() => cli.start());
  afterAll(() => cli.stop());

  it('creates a racine with a one-time password, printed once, audited as the CLI', async () => {
    const res = await cli.run('racine', 'add', 'Root@Exemple.org', '--json');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.out);
    expect(out).toMatchObject({ email: 'root@exemple.org', racine: true, mustChangePassword: true });
    expect(out.oneTimePassword).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    const audit = await cli.db('audit_log').where({ action: 'account.create' }).first();
    expect(audit.actor_label).toBe('cli');
    expect(JSON.stringify(audit.details)).not.toContain(out.oneTimePassword);
  });

  it('tells a new racine where to log in: the web app’s login screen at GIROFLEE_PUBLIC_URL', async () => {
    process.env.GIROFLEE_PUBLIC_URL = 'https://courrier.exemple.org/';
    try {
      const res = await cli.run('racine', 'add', 'nuit@exemple.org');
      expect(res.code).toBe(0);
      expect(res.out).toContain('Connectez-vous sur https://courrier.exemple.org/login');
      expect(res.out).toContain('Log in at https://courrier.exemple.org/login');
    } finally {
      delete process.env.GIROFLEE_PUBLIC_URL;
    }
  });

  it('refuses a bad slug with a clear message and a non-zero exit', async () => {
    const res = await cli.run('collective', 'add', 'Pas Bon', '--name', 'x');
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/slug_invalid/);
    expect(await cli.db('collectives').where({ name: 'x' })).toHaveLength(0);
  });

  it('suspends a collective and lifts it, each with the reason in the audit log', async () => {
    await cli.run('collective', 'add', 'retard', '--name', 'En retard');
    const res = await cli.run('collective', 'suspend', 'retard', '--reason', 'Cotisation impayée', '--json');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out).suspension).toMatchObject({ reason: 'Cotisation impayée' });
    expect((await cli.run('collective', 'list')).out).toMatch(/retard\tEn retard\tsuspendu \/ suspended/);
    const twice = await cli.run('collective', 'suspend', 'retard', '--reason', 'encore');
    expect(twice.code).toBe(1);
    expect(twice.err).toMatch(/collective_already_suspended|déjà suspendu/);
    expect((await cli.run('collective', 'resume', 'retard', '--reason', 'Réglé')).code).toBe(0);
    const audit = await cli
      .db('audit_log')
      .whereIn('action', ['collective.suspend', 'collective.resume'])
      .orderBy('at')
      .select('action', 'actor_label', 'details');
    expect(audit).toEqual([
      {
        action: 'collective.suspend',
        actor_label: 'cli',
        details: { slug: 'retard', reason: 'Cotisation impayée' },
      },
      { action: 'collective.resume', actor_label: 'cli', details: { slug: 'retard', reason: 'Réglé' } },
    ]);
  });

  it('activates a pending domain on a racine’s word, audited as an override', async () => {
    await cli.run('collective', 'add', 'demo', '--name', 'Démo');
    const added = await cli.run('domain', 'add', 'Démo.example', '--collective', 'demo');
    expect(added.out).toMatch(
      /^xn--dmo-bma\.example: pending \(demo\)\nPublish \/ publiez : _giroflee\.xn--dmo-bma\.example TXT "giroflee-verification=[0-9a-f]+"/,
    );
    const activated = await cli.run('domain', 'activate', 'démo.example', '--json');
    expect(activated.code).toBe(0);
    expect(JSON.parse(activated.out)).toMatchObject({
      name: 'xn--dmo-bma.example',
      status: 'active',
      collective: 'demo',
    });
    const audit = await cli.db('audit_log').where({ action: 'domain.activate' }).first();
    expect(audit.details).toMatchObject({ basis: 'racine-override' });

    const listed = JSON.parse((await cli.run('domain', 'list', '--status', 'active', '--json')).out);
    expect(listed.map((d: { name: string }) => d.name)).toEqual(['xn--dmo-bma.example']);
  });

  it('says which collectives claim a name when several do', async () => {
    for (const slug of ['un', 'deux']) await cli.run('collective', 'add', slug, '--name', slug);
    const ids = await cli.db('collectives').whereIn('slug', ['un', 'deux']).pluck('id');
    for (const collectiveId of ids)
      await makeDomain(cli.ctx, { collectiveId, name: 'dispute.example', status: 'pending' });
    const res = await cli.run('domain', 'activate', 'dispute.example');
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/--collective/);
    expect((await cli.run('domain', 'activate', 'dispute.example', '--collective', 'deux')).code).toBe(0);
    expect(await cli.db('domains').where({ name: 'dispute.example' }).pluck('status')).toEqual(['active']);
  });
});
