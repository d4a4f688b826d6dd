import type { OutboundScanSettings } from '../../src/config';
import { outboundScanner, reachedSignals } from '../../src/sending/check-outbound';
import { recordScan } from '../../src/sending/outbound-scans';
import { refusalText, type RspamdResult } from '../../src/sending/scan-submission';
import { createTestContext, TestContext } from '../support/context';
import { makeDomain, makeTenant } from '../support/factories';
import { waitUntil } from '../support/wait-until';

const settings: OutboundScanSettings = {
  rspamd: { host: '127.0.0.1', port: 1 },
  timeoutMs: 1000,
  rejectScore: 15,
  highScore: 6,
  windowMs: 3600_000,
  alert: { recipients: 10, newDomains: 3, highScores: 2 },
  suspend: false,
};

const clean: RspamdResult = { score: 0.5, action: 'no action', symbols: [] };

describe('outbound scanning: verdicts and the compromised-account pattern', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
    ctx.config = { ...ctx.config, alerts: { webhook: undefined, email: false, emailTo: [] } };
  });
  afterAll(() => ctx.destroy());

  const message = (login: string, recipients: string[]) => ({
    login,
    envelopeFrom: login,
    recipients,
    message: [Buffer.from('Subject: x\r\n\r\nHello\r\n')],
  });
  const alertState = async (mailboxId: string) =>
    (
      await ctx
        .db('alerts')
        .where({ key: `compromised_sending:${mailboxId}` })
        .first('state')
    )?.state;

  it('counts a domain as new once per mailbox, and never a hosted one', async () => {
    const t = await makeTenant(ctx);
    const hosted = await makeDomain(ctx, { collectiveId: t.collective.id });
    ctx.clock.set(new Date('2026-11-21T10:00:00Z'));
    const scan = (domains: string[]) =>
      recordScan(ctx, {
        mailboxId: t.mailbox.id,
        recipients: 1,
        domains,
        score: 0,
        highScore: 6,
        windowMs: 3600_000,
      });
    expect((await scan(['one.example', 'two.example'])).newDomains).toBe(2);
    expect((await scan(['one.example'])).newDomains).toBe(2);
    // The domain itself is never stored, only a digest of mailbox and domain.
    const rows = await ctx.db('outbound_domains').where({ mailbox_id: t.mailbox.id });
    expect(JSON.stringify(rows)).not.toContain('one.example');

    const scanner = outboundScanner(ctx, settings, async () => clean);
    await scanner(message(t.mailbox.address, [`a@${hosted.name}`, 'b@three.example']));
    // One row per message: 2 new, then none, then one (the hosted domain is not external).
    const newDomains = await ctx
      .db('outbound_scans')
      .where({ mailbox_id: t.mailbox.id })
      .pluck('new_domains');
    expect(newDomains.sort()).toEqual([0, 1, 2]);
  });

  it('forgets what left the window: the alert it raised ends with the next clean message', async () => {
    const t = await makeTenant(ctx);
    ctx.clock.set(new Date('2026-11-21T12:00:00Z'));
    const scanner = outboundScanner(ctx, settings, async () => clean);
    expect(await scanner(message(t.mailbox.address, ['a@p.example', 'b@q.example', 'c@r.example']))).toEqual({
      code: 'continue',
    });
    await waitUntil('the alert firing', async () => (await alertState(t.mailbox.id)) === 'firing');

    ctx.clock.set(new Date('2026-11-21T13:01:00Z'));
    await scanner(message(t.mailbox.address, ['d@p.example']));
    await waitUntil('the alert resolved', async () => (await alertState(t.mailbox.id)) === 'resolved');
    expect(await ctx.db('outbound_scans').where({ mailbox_id: t.mailbox.id })).toHaveLength(1);
  });

  it('refuses from the reject score or on rspamd’s own reject, and counts refusals as high scores', async () => {
    const t = await makeTenant(ctx);
    ctx.clock.set(new Date('2026-11-21T15:00:00Z'));
    const verdicts: RspamdResult[] = [
      { score: 16.2, action: 'add header', symbols: ['FUZZY_DENIED', 'R_SUSPICIOUS_URL'] },
      { score: 0, action: 'reject', symbols: ['GTUBE'] },
    ];
    const scanner = outboundScanner(ctx, settings, async () => verdicts.shift()!);
    const first = await scanner(message(t.mailbox.address, ['a@x.example']));
    expect(first).toEqual({
      code: 'reply',
      text: expect.stringMatching(/^550 5\.7\.1 .*score 16\.2\/15: FUZZY_DENIED/),
    });
    expect(await alertState(t.mailbox.id)).toBeUndefined();
    const second = await scanner(message(t.mailbox.address, ['a@x.example']));
    expect(second).toMatchObject({ code: 'reply', text: expect.stringContaining('GTUBE') });
    await waitUntil('the alert firing', async () => (await alertState(t.mailbox.id)) === 'firing');
  });

  it('defers (451) when rspamd fails, and when the login is no mailbox', async () => {
    const t = await makeTenant(ctx);
    const failing = outboundScanner(ctx, settings, async () => {
      throw new Error('connect ECONNREFUSED');
    });
    expect(await failing(message(t.mailbox.address, ['a@x.example']))).toEqual({
      code: 'reply',
      text: expect.stringMatching(/^451 4\.3\.0 /),
    });
    expect(await failing(message('nobody@nowhere.example', ['a@x.example']))).toMatchObject({
      text: expect.stringMatching(/^451 4\.7\.1 /),
    });
  });

  it('names the thresholds reached, and keeps the reply printable ASCII', () => {
    expect(reachedSignals({ recipients: 10, newDomains: 1, highScores: 2 }, settings)).toEqual([
      'recipients',
      'highScores',
    ]);
    const text = refusalText({ score: 20, action: 'reject', symbols: ['A%B', 'C\r\nD'] }, 15);
    expect(text).toMatch(/^[\x20-\x7e]+$/);
    expect(text).not.toContain('%');
  });
});
