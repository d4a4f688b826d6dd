import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { LmtpGateway } from '../../src/encryption/lmtp-gateway';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import { monitorTick } from '../../src/monitoring/component';
import { metricsComponent } from '../../src/serve';
import { createTestContext, TestContext } from '../support/context';
import { makeCollective, makeDkimKeys, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';
import {
  retryQueueUntil,
  startEncryptingMailstack,
  TestMailstack,
  waitUntilDeferred,
} from '../support/mailstack';
import { REAL_STACK_TEST_MS } from '../support/wait-until';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink';

jest.setTimeout(2 * REAL_STACK_TEST_MS);

const HOUR = 3600_000;

/** One sample of the Prometheus text (0 when absent, as a counter not yet incremented). */
function sample(text: string, series: string): number {
  const escaped = series.replace(/[{}"[\]().*+?^$|\\]/g, '\\$&');
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Mail through the real path (Postfix, the encrypting gateway, Dovecot) as an operator sees it:
 * the inbound counters on the metrics listener, Postfix's queue in the metrics, the queue alerts
 * on a webhook, and their resolution once the mail has gone through.
 */
describe('the mail path in the metrics and the alerts', () => {
  let ctx: TestContext;
  let gateway: LmtpGateway;
  let stack: TestMailstack;
  let sink: WebhookSink;
  let stopMetrics: () => Promise<void>;
  let metricsUrl: string;
  let dataDir: string;
  let withKey: { id: string; address: string };
  let withoutKey: { id: string; address: string };
  /** When Postfix took the message it defers: the queue's ages are measured from it. */
  let arrival: Date;

  const metrics = async () => (await fetch(`${metricsUrl}/metrics`)).text();
  /** The first line of each webhook message since the last call: what the racines read first. */
  const told = () => sink.received.splice(0).map((r) => r.body.text.split('\n')[0]);
  const send = (to: string, subject: string) =>
    nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
      .sendMail({ from: 'alice@remote.example', to, subject, text: 'Bonjour.' });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-mail-path-'));
    sink = await startWebhookSink();
    ctx = await createTestContext();
    ({ gateway, stack } = await startEncryptingMailstack(ctx));
    const [metricsPort] = await freeLoopbackPorts(1);
    ctx.config = {
      ...ctx.config,
      dataDir,
      alerts: { email: false, emailTo: [], webhook: sink.url },
      metrics: { listen: { host: '127.0.0.1', port: metricsPort } },
      monitor: {
        ...ctx.config.monitor,
        nodeName: 'node-a',
        certFiles: [],
        mailRoot: stack.mailRoot,
        postfixConfigDir: stack.settings.paths.postfixConfigDir,
        queueAlertMessages: 1,
        deferredAlertHours: 4,
        diskAlertPercent: 100,
      },
    };
    stopMetrics = (await metricsComponent.start(ctx)).stop;
    metricsUrl = `http://127.0.0.1:${metricsPort}`;

    const collective = await makeCollective(ctx);
    const domain = await makeDomain(ctx, { collectiveId: collective.id });
    await makeDkimKeys(ctx, domain.id);
    withKey = await makeMailbox(ctx, { domainId: domain.id, encryptionMode: 'generated' });
    await provisionMailboxKeys(ctx, withKey, TEST_PASSWORD);
    // Its key is not made yet: the gateway defers its mail rather than store it in clear.
    withoutKey = await makeMailbox(ctx, { domainId: domain.id, encryptionMode: 'generated' });
  });

  afterAll(async () => {
    await stopMetrics?.();
    await stack?.stop();
    await gateway?.stop();
    await ctx?.destroy();
    await sink?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts stored and deferred recipients and times the encryption, on the metrics listener', async () => {
    const before = await metrics();
    await send(withKey.address, 'stored');
    await send(withoutKey.address, 'deferred');
    await waitUntilDeferred(stack, 'the message without a key deferred', 1);
    const after = await metrics();

    const delta = (series: string) => sample(after, series) - sample(before, series);
    expect(delta('giroflee_inbound_recipients_total{result="delivered",reason="stored"}')).toBe(1);
    expect(
      delta('giroflee_inbound_recipients_total{result="deferred",reason="no_key"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(delta('giroflee_inbound_encryption_seconds_count')).toBe(1);
  });

  it('shows the deferred mail in the queue metrics and alerts on the queue, then on its age', async () => {
    const [queued] = await stack.queue();
    arrival = new Date((queued as unknown as { arrival_time: number }).arrival_time * 1000);
    ctx.clock.set(new Date(arrival.getTime() + HOUR));
    await monitorTick(ctx);
    const text = await metrics();
    expect(sample(text, 'giroflee_postfix_queue_messages{queue="deferred"}')).toBe(1);
    expect(sample(text, 'giroflee_postfix_queue_oldest_seconds{queue="deferred"}')).toBeGreaterThanOrEqual(
      3600,
    );
    expect(told()).toEqual([expect.stringMatching(/^🚨 .*Alerte : File de Postfix pleine sur node-a$/)]);

    await monitorTick(ctx);
    expect(told()).toEqual([]);

    ctx.clock.set(new Date(arrival.getTime() + 5 * HOUR));
    await monitorTick(ctx);
    expect(told()).toEqual([expect.stringMatching(/Alerte : Courrier en attente depuis 5 h sur node-a$/)]);
  });

  it('resolves both once the key exists and the mail is stored, and says so on the webhook', async () => {
    // The key is made at the message's arrival: openpgp.js checks a key's creation against the
    // real time, and one made by the test clock hours ahead would not encrypt yet.
    ctx.clock.set(arrival);
    await provisionMailboxKeys(ctx, withoutKey, TEST_PASSWORD);
    await retryQueueUntil(
      stack,
      'the deferred message stored',
      async () => (await stack.queue()).length === 0,
    );
    ctx.clock.set(new Date(arrival.getTime() + 6 * HOUR));
    await monitorTick(ctx);

    const messages = sink.received.splice(0).map((r) => r.body.text);
    expect(messages.map((m) => m.split('\n')[0])).toEqual([
      expect.stringMatching(/^✅ .*Résolu : File de Postfix pleine sur node-a$/),
      expect.stringMatching(/^✅ .*Résolu : Courrier en attente depuis 5 h sur node-a$/),
    ]);
    expect(messages[0]).toMatch(/Alert queue_growing:node-a:postfix lasted 5 h/);
    expect(messages[1]).toMatch(/Alert mail_deferred:node-a:postfix lasted 60 min/);
    expect(sample(await metrics(), 'giroflee_postfix_queue_messages{queue="deferred"}')).toBe(0);
  });
});
