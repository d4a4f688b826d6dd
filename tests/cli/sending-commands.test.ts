import type { ServiceContext } from '../../src/context';
import { cliHarness } from '../support/cli';
import { makeCollective, makeDomain, makeMailbox } from '../support/factories';

describe('giroflee sending', () => {
  const cli = cliHarness();
  beforeAll(() => cli.start());
  afterAll(() => cli.stop());
  const ctx = () => ({ db: cli.db }) as ServiceContext;

  it("overrides a collective's limits, shows them, and goes back to the default with none", async () => {
    const c = await makeCollective(ctx(), { slug: 'lettre' });
    const set = await cli.run('sending', 'limits', 'lettre', '--hour-messages', '500', '--json');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.out)).toMatchObject({ limits: { hourMessages: 500, hourRecipients: 300 } });
    expect((await cli.run('sending', 'limits', 'lettre')).out).toContain('hourMessages: 500\n');
    await cli.run('sending', 'limits', 'lettre', '--hour-messages', 'none');
    expect((await cli.run('sending', 'limits', 'lettre')).out).toContain('hourMessages: 100 (default)');
    const audit = await cli.db('audit_log').where({ action: 'sending.limits', target_id: c.id });
    expect(audit).toHaveLength(2);
    expect(audit[0].actor_label).toBe('cli');
  });

  it('suspends a mailbox named by the id an alert gives, and resumes it by address', async () => {
    const c = await makeCollective(ctx());
    const m = await makeMailbox(ctx(), { domainId: (await makeDomain(ctx(), { collectiveId: c.id })).id });
    const suspended = await cli.run('sending', 'suspend', m.id);
    expect(suspended.code).toBe(0);
    expect(suspended.out).toContain(`sending suspended for ${m.address}`);
    expect(await cli.db('sending_suspensions').where({ mailbox_id: m.id })).toHaveLength(1);
    expect((await cli.run('sending', 'resume', m.address)).code).toBe(0);
    expect(await cli.db('sending_suspensions').where({ mailbox_id: m.id })).toHaveLength(0);
  });

  it('refuses a limit that is not a whole number, changing nothing', async () => {
    await makeCollective(ctx(), { slug: 'rien' });
    const res = await cli.run('sending', 'limits', 'rien', '--day-messages', '-3');
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/validation/);
    expect(await cli.db('sending_limits')).toHaveLength(1);
  });

  it('refuses an unknown mailbox with a clear error', async () => {
    const res = await cli.run('sending', 'suspend', 'nobody@nowhere.example');
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/not_found|introuvable/i);
  });
});
