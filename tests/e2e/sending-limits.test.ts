import nodemailer from 'nodemailer';
import { startSendingPolicy } from '../../src/sending/component';
import type { RunningPolicyServer } from '../../src/sending/policy-server';
import { useTestApp } from '../support/app';
import { makeRacine, makeTenant, TEST_PASSWORD } from '../support/factories';
import { startTestMailstack, type TestMailstack } from '../support/mailstack';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';
import { startFakeRelay, type FakeRelay } from '../relay/support/fake-relay';

jest.setTimeout(REAL_STACK_TEST_MS);

describe('outbound sending limits on the real Postfix submission', () => {
  let sink: WebhookSink;
  let relay: FakeRelay;
  let policy: RunningPolicyServer;
  let stack: TestMailstack;
  const app = useTestApp({
    config: (d) => ({
      sending: {
        ...d.sending,
        limits: { hourMessages: 3, hourRecipients: 10, dayMessages: 50, dayRecipients: 100 },
      },
    }),
    async setup(ctx) {
      sink = await startWebhookSink();
      ctx.config = { ...ctx.config, alerts: { webhook: sink.url, email: false, emailTo: [] } };
      relay = await startFakeRelay();
      policy = await startSendingPolicy(ctx, { host: '127.0.0.1', port: 0 });
      // Straight to a fake relay: what is measured here is submission, not the relay pool.
      stack = await startTestMailstack(ctx.databaseUrl, {
        relayhost: { host: '127.0.0.1', port: relay.port },
        sendingPolicy: { host: '127.0.0.1', port: policy.port },
      });
      return async () => {
        await stack?.stop();
        await policy?.stop();
        await relay?.stop();
        await sink?.close();
      };
    },
  });

  async function submit(from: string, subject: string, to: string[] = ['friend@remote.example']) {
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: stack.ports.submission,
      ignoreTLS: true,
      auth: { user: from, pass: TEST_PASSWORD },
    });
    try {
      await client.sendMail({ from, to, subject, text: 'Bonjour.' });
    } finally {
      client.close();
    }
  }
  const relayed = (subject: string) =>
    waitUntil(`"${subject}" at the relay`, () =>
      relay.received.find((m) => m.raw.includes(`Subject: ${subject}`)),
    );

  it('answers 4.7.1 once a mailbox is over its hourly limit, alerts the webhook, and lets another mailbox send', async () => {
    const heavy = await makeTenant(app.ctx);
    const other = await makeTenant(app.ctx);
    for (let i = 1; i <= 3; i++) await submit(heavy.mailbox.address, `heavy ${i}`);
    await expect(submit(heavy.mailbox.address, 'heavy 4')).rejects.toMatchObject({
      responseCode: 450,
      response: expect.stringContaining('4.7.1'),
    });

    const alert = await waitUntil('the alert at the webhook', () =>
      sink.received.find((r) => r.body.text.includes(heavy.mailbox.id)),
    );
    expect(alert.body.text).toContain('Sending limit reached');
    expect(alert.body.text).toContain('Limite d');
    // Alerts go to chat channels: the mailbox is named by its id, never its address.
    expect(alert.body.text).not.toContain(heavy.mailbox.address);

    await submit(other.mailbox.address, 'other 1');
    await relayed('other 1');
    await relayed('heavy 3');
    expect(relay.received.some((m) => m.raw.includes('Subject: heavy 4'))).toBe(false);
  });

  it('counts recipients too: one message to more recipients than the hour allows is refused', async () => {
    const t = await makeTenant(app.ctx);
    const crowd = Array.from({ length: 11 }, (_, i) => `r${i}@remote.example`);
    await expect(submit(t.mailbox.address, 'crowd', crowd)).rejects.toMatchObject({
      responseCode: 450,
      response: expect.stringContaining('recipients per hour'),
    });
  });

  it("lets a racine, and only a racine, raise a collective's limits (audited); its mailbox sends again", async () => {
    const t = await makeTenant(app.ctx);
    const { actor: racine } = await makeRacine(app.ctx);
    for (let i = 1; i <= 3; i++) await submit(t.mailbox.address, `quota ${i}`);
    await expect(submit(t.mailbox.address, 'quota 4')).rejects.toMatchObject({ responseCode: 450 });

    const path = `/api/v1/collectives/${t.collective.slug}/sending-limits`;
    const byAdmin = await app.client.request('PATCH', path, {
      as: t.actors.admin,
      body: { hourMessages: 10 },
    });
    expect(byAdmin.status).toBe(403);
    expect(byAdmin.body.error.code).toBe('forbidden');
    const bad = await app.client.request('PATCH', path, { as: racine, body: { hourMessages: -1 } });
    expect(bad.status).toBe(400);

    const res = await app.client.request('PATCH', path, { as: racine, body: { hourMessages: 10 } });
    expect(res.status).toBe(200);
    expect(res.body.limits).toEqual({
      hourMessages: 10,
      hourRecipients: 10,
      dayMessages: 50,
      dayRecipients: 100,
    });
    expect(res.body.overrides.hourMessages).toBe(10);
    const [entry] = await app.ctx
      .db('audit_log')
      .where({ action: 'sending.limits', target_id: t.collective.id });
    expect(entry.details.changes).toEqual({ hourMessages: { before: null, after: 10 } });

    await submit(t.mailbox.address, 'quota 5');
    await relayed('quota 5');
    // The alert raised by the refusal ends once the mailbox may send again.
    await waitUntil('the alert resolved at the webhook', () =>
      sink.received.some((r) => r.body.text.includes(t.mailbox.id) && /Resolved|Résolu/i.test(r.body.text)),
    );
  });

  it("lets its collective's admin suspend a mailbox's sending (5.7.1), not the mailbox itself, and give it back", async () => {
    const t = await makeTenant(app.ctx);
    const path = `/api/v1/mailboxes/${t.mailbox.address}/sending`;
    expect(
      (await app.client.request('PUT', path, { as: t.actors.owner, body: { suspended: false } })).status,
    ).toBe(403);
    const res = await app.client.request('PUT', path, { as: t.actors.admin, body: { suspended: true } });
    expect(res.status).toBe(200);
    expect((await app.client.request('GET', path, { as: t.actors.owner })).body).toEqual({ suspended: true });
    await expect(submit(t.mailbox.address, 'suspended')).rejects.toMatchObject({
      responseCode: 550,
      response: expect.stringContaining('5.7.1'),
    });
    expect(
      await app.ctx.db('audit_log').where({ action: 'sending.suspend', target_id: t.mailbox.id }),
    ).toHaveLength(1);

    await app.client.request('PUT', path, { as: t.actors.admin, body: { suspended: false } });
    await submit(t.mailbox.address, 'resumed');
    await relayed('resumed');
  });
});
