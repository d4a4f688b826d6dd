import { runInTransaction, tryAdvisoryLock } from '../../src/db/transaction';
import { runRetention } from '../../src/retention/retention-job';
import { createTestContext, TestContext } from '../support/context';
import { makeAccount } from '../support/factories';

const DAY = 24 * 3600_000;

describe('retention job', () => {
  let ctx: TestContext;
  let accountId: string;
  const ago = (days: number) => new Date(ctx.now().getTime() - days * DAY);

  beforeAll(async () => {
    ctx = await createTestContext();
    accountId = (await makeAccount(ctx)).id;
  });
  afterAll(() => ctx.destroy());

  it('forgets traffic data after 7 days and audit entries after a year, in batches', async () => {
    const session = (hash: string, expires: Date, revoked: Date | null = null) => ({
      token_hash: hash,
      account_id: accountId,
      created_at: ago(30),
      last_seen_at: ago(10),
      expires_at: expires,
      revoked_at: revoked,
    });
    await ctx
      .db('sessions')
      .insert([
        session('expired-long-ago', ago(8)),
        session('revoked-long-ago', ago(-1), ago(8)),
        session('expired-recently', ago(6)),
        session('still-open', ago(-1)),
      ]);
    await ctx.db('login_throttle').insert([
      { key_hash: 'old', failures: 2, updated_at: ago(8) },
      { key_hash: 'recent', failures: 2, updated_at: ago(1) },
    ]);
    const entry = (at: Date, details: object) => ({
      at,
      actor_type: 'system',
      actor_label: 'cli',
      action: 'mailbox.update',
      target_type: 'mailbox',
      details: JSON.stringify(details),
    });
    // More old entries than one batch holds.
    await ctx.db.batchInsert(
      'audit_log',
      Array.from({ length: 5003 }, () => entry(ago(8), { displayName: { before: 'A', after: 'B' } })),
      1000,
    );
    await ctx
      .db('audit_log')
      .insert([entry(ago(2), { quota: { before: 1, after: 2 } }), entry(ago(400), {})]);

    const done = await runRetention(ctx);
    expect(done).toMatchObject({ sessions: 2, login_throttle: 1, 'audit_log.details': 5003, audit_log: 1 });

    expect((await ctx.db('sessions').pluck('token_hash')).sort()).toEqual(['expired-recently', 'still-open']);
    expect((await ctx.db('login_throttle').pluck('key_hash')).sort()).toEqual(['recent']);
    const audit = await ctx.db('audit_log').select('at', 'details', 'action');
    expect(audit).toHaveLength(5004);
    expect(audit.filter((a) => Object.keys(a.details).length > 0)).toEqual([
      expect.objectContaining({ details: { quota: { before: 1, after: 2 } } }),
    ]);
    expect(audit.every((a) => a.action === 'mailbox.update')).toBe(true);

    expect(await runRetention(ctx)).toMatchObject({ sessions: 0, audit_log: 0, 'audit_log.details': 0 });
  });

  it('follows GIROFLEE_TRAFFIC_RETENTION_DAYS', async () => {
    const local = { ...ctx, config: { ...ctx.config, retention: { trafficDays: 1, auditDays: 365 } } };
    expect(await runRetention(local)).toMatchObject({ 'audit_log.details': 1 });
  });

  it('leaves the pass to the copy of giroflee that holds the lock', async () => {
    await runInTransaction(ctx, async (other) => {
      expect(await tryAdvisoryLock(other.db, 'giroflee:retention')).toBe(true);
      expect(await runRetention(ctx)).toBeUndefined();
    });
    expect(await runRetention(ctx)).toBeDefined();
  });
});
