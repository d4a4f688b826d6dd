import { checkSubmission, policyAction } from '../../src/sending/check-submission';
import { closedSender, countSubmission } from '../../src/sending/sending-limits';
import { createTestContext, TestContext } from '../support/context';
import { makeTenant } from '../support/factories';

describe('sending counts per mailbox', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext((d) => ({
      sending: {
        ...d.sending,
        limits: { hourMessages: 2, hourRecipients: 100, dayMessages: 3, dayRecipients: 100 },
      },
    }));
  });
  afterAll(() => ctx.destroy());

  it('counts the current hour, and the last 24 hours as the day, forgetting older hours', async () => {
    const { mailbox } = await makeTenant(ctx);
    ctx.clock.set(new Date('2026-11-21T10:05:00Z'));
    expect(await countSubmission(ctx, mailbox.id, 4)).toEqual({
      hourMessages: 1,
      hourRecipients: 4,
      dayMessages: 1,
      dayRecipients: 4,
    });
    ctx.clock.set(new Date('2026-11-21T10:59:00Z'));
    expect((await countSubmission(ctx, mailbox.id, 1)).hourMessages).toBe(2);
    ctx.clock.set(new Date('2026-11-21T11:00:00Z'));
    expect(await countSubmission(ctx, mailbox.id, 2)).toEqual({
      hourMessages: 1,
      hourRecipients: 2,
      dayMessages: 3,
      dayRecipients: 7,
    });
    // 24 hours after 10:xx, that hour has left the day.
    ctx.clock.set(new Date('2026-11-22T10:30:00Z'));
    expect(await countSubmission(ctx, mailbox.id, 1)).toMatchObject({ hourMessages: 1, dayMessages: 2 });
    expect(await ctx.db('sending_counts').where({ mailbox_id: mailbox.id })).toHaveLength(2);
  });

  it('does not count a refused message, so the mailbox sends again as the window slides', async () => {
    const { mailbox } = await makeTenant(ctx);
    ctx.clock.set(new Date('2026-11-23T08:00:00Z'));
    expect((await checkSubmission(ctx, mailbox.address, 1)).kind).toBe('permit');
    expect((await checkSubmission(ctx, mailbox.address, 1)).kind).toBe('permit');
    expect(await checkSubmission(ctx, mailbox.address, 1)).toMatchObject({
      kind: 'over',
      limit: 'hourMessages',
    });
    expect(await checkSubmission(ctx, `${mailbox.address}*webmail`, 1)).toMatchObject({ kind: 'over' });
    ctx.clock.set(new Date('2026-11-23T09:00:00Z'));
    expect((await checkSubmission(ctx, mailbox.address, 1)).kind).toBe('permit');
    // The day allows 3: the fourth within 24 hours is over it.
    expect(await checkSubmission(ctx, mailbox.address, 1)).toMatchObject({
      kind: 'over',
      limit: 'dayMessages',
    });
  });

  it('treats a login that is no mailbox as unknown', async () => {
    expect((await checkSubmission(ctx, 'nobody@nowhere.example', 1)).kind).toBe('unknown');
  });

  it('refuses, and counts nothing for, a mailbox or collective that is suspended', async () => {
    const closed = await makeTenant(ctx);
    const disabled = await makeTenant(ctx);
    const active = await makeTenant(ctx);
    await ctx.db('collectives').where({ id: closed.collective.id }).update({
      suspended_at: ctx.now(),
      suspension_reason: 'abus',
    });
    await ctx.db('mailboxes').where({ id: disabled.mailbox.id }).update({ status: 'disabled' });

    expect(await checkSubmission(ctx, `${closed.mailbox.address}*webmail`, 1)).toMatchObject({
      kind: 'closed',
      closed: 'collective',
    });
    expect(policyAction(ctx, await checkSubmission(ctx, disabled.mailbox.address, 1))).toMatch(
      /^550 5\.7\.1 /,
    );
    expect(
      await ctx.db('sending_counts').whereIn('mailbox_id', [closed.mailbox.id, disabled.mailbox.id]),
    ).toEqual([]);

    // What Sieve sends names its mailbox (From of a vacation reply, X-Sieve-Redirected-From).
    expect(await closedSender(ctx, ['', closed.mailbox.address.toUpperCase()])).toBe('collective');
    expect(await closedSender(ctx, [`alias@${closed.domain.name}`])).toBe('collective');
    expect(await closedSender(ctx, [disabled.mailbox.address])).toBe('mailbox');
    expect(await closedSender(ctx, [active.mailbox.address, 'ami@remote.example'])).toBeUndefined();
    expect(await closedSender(ctx, [''])).toBeUndefined();
  });
});
