import nodemailer from 'nodemailer';
import type { OutboundScanSettings } from '../../src/config';
import { staticLookup } from '../../src/dns/zone-server';
import { allowedSenders } from '../../src/relay/sender-identities';
import { startSubmissionMilter, type RunningMilter } from '../../src/relay/submission-milter';
import { outboundScanner } from '../../src/sending/check-outbound';
import { rr, startFixtureDns } from '../dns/fixture-dns';
import { useTestApp } from '../support/app';
import { makeTenant, TEST_PASSWORD } from '../support/factories';
import { startTestMailstack, type TestMailstack } from '../support/mailstack';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';
import { deadPort, startFakeRelay, type FakeRelay } from '../relay/support/fake-relay';

jest.setTimeout(REAL_STACK_TEST_MS);

const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

describe('outbound scanning (rspamd) at the real Postfix submission', () => {
  let sink: WebhookSink;
  let relay: FakeRelay;
  let milter: RunningMilter;
  let stack: TestMailstack;
  let dns: Awaited<ReturnType<typeof startFixtureDns>>;
  let scanPort: number;
  // Read by the scanner at each message: a test may point it at a dead rspamd, or turn on suspension.
  const settings: OutboundScanSettings = {
    rspamd: { host: '127.0.0.1', port: 0 },
    timeoutMs: 20_000,
    rejectScore: 15,
    highScore: 6,
    windowMs: 3600_000,
    alert: { recipients: 100, newDomains: 5, highScores: 3 },
    suspend: false,
  };

  const app = useTestApp({
    async setup(ctx) {
      const stops: Array<() => Promise<unknown>> = [];
      const teardown = async () => {
        for (const stop of stops.reverse()) await stop();
      };
      try {
        sink = await startWebhookSink();
        stops.push(() => sink.close());
        ctx.config = { ...ctx.config, alerts: { webhook: sink.url, email: false, emailTo: [] } };
        relay = await startFakeRelay();
        stops.push(() => relay.stop());
        dns = await startFixtureDns({ '127.0.0.1': staticLookup([rr.txt('remote.example', 'v=spf1 -all')]) });
        stops.push(() => dns.stop());
        milter = await startSubmissionMilter({
          listen: { host: '127.0.0.1', port: 0 },
          allowedSenders: (login, addresses) => allowedSenders(ctx, login, addresses),
          scan: outboundScanner(ctx, settings),
        });
        stops.push(() => milter.stop());
        // Registered before the start is awaited: a start that times out leaves no process behind.
        stops.push(() => stack?.stop());
        stack = await startTestMailstack(ctx.databaseUrl, {
          relayhost: { host: '127.0.0.1', port: relay.port },
          submissionMilter: { host: '127.0.0.1', port: milter.port },
          defence: { dnsServers: [{ host: '127.0.0.1', port: dns.port }] },
        });
        scanPort = stack.ports.rspamdScan!;
        settings.rspamd.port = scanPort;
      } catch (e) {
        await teardown();
        throw e;
      }
      return teardown;
    },
  });

  async function submit(
    from: string,
    subject: string,
    to: string[],
    text = 'Bonjour, voici le compte rendu.',
  ) {
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: stack.ports.submission,
      ignoreTLS: true,
      auth: { user: from, pass: TEST_PASSWORD },
    });
    try {
      await client.sendMail({ from, to, subject, text });
    } finally {
      client.close();
    }
  }
  const relayed = (subject: string) =>
    waitUntil(`"${subject}" at the relay`, () =>
      relay.received.find((m) => m.raw.includes(`Subject: ${subject}`)),
    );

  it('refuses a GTUBE message at submission with a 5.7.1 that says why, and sends an ordinary one', async () => {
    const t = await makeTenant(app.ctx);
    await expect(submit(t.mailbox.address, 'gtube', ['friend@remote.example'], GTUBE)).rejects.toMatchObject({
      responseCode: 550,
      response: expect.stringMatching(/5\.7\.1 Message refuse.*Message refused, it looks like spam.*GTUBE/),
    });
    await submit(t.mailbox.address, 'ordinary', ['friend@remote.example']);
    await relayed('ordinary');
    expect(relay.received.some((m) => m.raw.includes('Subject: gtube'))).toBe(false);
  });

  it('raises the compromised-account alert on a burst to new external domains; another mailbox keeps sending', async () => {
    const heavy = await makeTenant(app.ctx);
    const other = await makeTenant(app.ctx);
    await submit(heavy.mailbox.address, 'burst 1', ['a@one.example', 'b@two.example', 'c@three.example']);
    // The same domains again are not new: still below the threshold of 5.
    await submit(heavy.mailbox.address, 'burst 2', ['d@one.example', 'e@two.example']);
    expect(sink.received.some((r) => r.body.text.includes(heavy.mailbox.id))).toBe(false);
    await submit(heavy.mailbox.address, 'burst 3', ['f@four.example', 'g@five.example']);

    const alert = await waitUntil('the alert at the webhook', () =>
      sink.received.find((r) => r.body.text.includes(heavy.mailbox.id)),
    );
    expect(alert.body.text).toContain('Possibly compromised account');
    expect(alert.body.text).toContain('Compte peut-être compromis');
    expect(alert.body.text).toContain('5 new external domains');
    // Alerts go to chat channels: the mailbox is named by its id, never its address.
    expect(alert.body.text).not.toContain(heavy.mailbox.address);
    // Below the reject score the message itself still leaves (the racines decide).
    await relayed('burst 3');

    await submit(other.mailbox.address, 'meanwhile', ['friend@remote.example']);
    await relayed('meanwhile');

    // Suspending the mailbox (the racines acted) ends the alert.
    const res = await app.client.request('PUT', `/api/v1/mailboxes/${heavy.mailbox.address}/sending`, {
      as: heavy.actors.admin,
      body: { suspended: true },
    });
    expect(res.status).toBe(200);
    await waitUntil('the alert resolved at the webhook', () =>
      sink.received.some(
        (r) => r.body.text.includes(heavy.mailbox.id) && /Resolved|Résolu/i.test(r.body.text),
      ),
    );
  });

  it("suspends the mailbox's sending when configured to, refusing the message that crossed the line", async () => {
    const t = await makeTenant(app.ctx);
    settings.suspend = true;
    try {
      const domains = [
        'a@six.example',
        'b@seven.example',
        'c@eight.example',
        'd@nine.example',
        'e@ten.example',
      ];
      await expect(submit(t.mailbox.address, 'too many', domains)).rejects.toMatchObject({
        responseCode: 550,
        response: expect.stringContaining('Sending is suspended'),
      });
    } finally {
      settings.suspend = false;
    }
    expect(await app.ctx.db('sending_suspensions').where({ mailbox_id: t.mailbox.id })).toHaveLength(1);
    const [audit] = await app.ctx
      .db('audit_log')
      .where({ action: 'sending.suspend', target_id: t.mailbox.id });
    expect(audit.actor_label).toBe('outbound-scan');
  });

  it('defers (4xx) while rspamd cannot be asked: nothing leaves unscanned', async () => {
    const t = await makeTenant(app.ctx);
    settings.rspamd = { host: '127.0.0.1', port: await deadPort() };
    try {
      await expect(submit(t.mailbox.address, 'unscanned', ['friend@remote.example'])).rejects.toMatchObject({
        responseCode: 451,
        response: expect.stringContaining('4.3.0'),
      });
    } finally {
      settings.rspamd = { host: '127.0.0.1', port: scanPort };
    }
    await submit(t.mailbox.address, 'scanned', ['friend@remote.example']);
    await relayed('scanned');
  });
});
