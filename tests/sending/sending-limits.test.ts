import { checkSubmission } from '../../src/sending/check-submission';
import { countSubmission } from '../../src/sending/sending-limits';
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
});
