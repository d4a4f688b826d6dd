import { cliHarness } from '../support/cli';

describe('giroflee relay', () => {
  const cli = cliHarness();
  const run = cli.run;
  beforeAll(() => cli.start());
  afterAll(() => cli.stop());

  it('adds relays and lists them in routing order as JSON', async () => {
    const added = await run(
      'relay',
      'add',
      'exit-1',
      '--kind',
      'smarthost',
      '--host',
      'relay.example.net',
      '--port',
      '465',
      '--tls',
      'implicit',
      '--sending-ip',
      '192.0.2.10',
      '--json',
    );
    expect(added.code).toBe(0);
    expect(JSON.parse(added.out)).toMatchObject({
      name: 'exit-1',
      tlsMode: 'implicit',
      sendingIps: ['192.0.2.10'],
    });
    expect((await run('relay', 'add', 'mx', '--kind', 'direct', '--role', 'fallback')).code).toBe(0);
    const list = JSON.parse((await run('relay', 'list', '--json')).out);
    expect(list.items.map((r: any) => [r.name, r.role])).toEqual([
      ['exit-1', 'primary'],
      ['mx', 'fallback'],
    ]);
  });

  it('refuses plain SMTP to a remote host with a clear message, in French and English', async () => {
    const res = await run(
      'relay',
      'add',
      'bad',
      '--kind',
      'smarthost',
      '--host',
      'relay.example.net',
      '--port',
      '25',
      '--tls',
      'none',
    );
    expect(res.code).toBe(1);
    expect(res.err).toContain('Requête invalide.');
    expect(res.err).toContain('relay_plain_not_loopback');
    expect(JSON.parse((await run('relay', 'list', '--json')).out).items).toHaveLength(2);
  });

  it('sets, promotes, drains and removes, each audited', async () => {
    expect(JSON.parse((await run('relay', 'set', 'exit-1', '--priority', '7', '--json')).out).priority).toBe(
      7,
    );
    expect(JSON.parse((await run('relay', 'promote', 'mx', '--json')).out)).toMatchObject({
      role: 'primary',
      priority: 6,
    });
    expect(JSON.parse((await run('relay', 'drain', 'exit-1', '--json')).out).state).toBe('draining');
    expect((await run('relay', 'remove', 'exit-1')).out).toContain('relay exit-1 removed');
    expect((await run('relay', 'remove', 'exit-1')).code).toBe(1);
    const actions = (await cli.db('audit_log').orderBy('id').select('action', 'actor_label')).map(
      (a: any) => a.action,
    );
    expect(actions).toEqual([
      'relay.create',
      'relay.create',
      'relay.update',
      'relay.promote',
      'relay.drain',
      'relay.delete',
    ]);
  });
});
