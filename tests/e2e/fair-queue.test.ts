import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { PlatformOutboundGateway } from '../../src/relay/components';
import { startSendingPolicy } from '../../src/sending/component';
import type { RunningPolicyServer } from '../../src/sending/policy-server';
import { createTestContext, TestContext } from '../support/context';
import { makeRelay, makeTenant, TEST_PASSWORD } from '../support/factories';
import { startTestMailstack, type TestMailstack } from '../support/mailstack';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';
import { startTestOutboundGateway } from '../support/outbound-gateway';

jest.setTimeout(REAL_STACK_TEST_MS);

/**
 * A remote relay slower than any: it takes each message and holds its answer to DATA until the
 * test releases it, keeping the order in which messages arrived.
 */
async function startHoldingRelay() {
  const arrived: string[] = [];
  const held: Array<() => void> = [];
  let holding = true;
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        arrived.push(/^Subject: (.*)$/m.exec(Buffer.concat(chunks).toString('utf8'))?.[1]?.trim() ?? '');
        const answer = () => cb(null, 'queued');
        if (holding) held.push(answer);
        else answer();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    arrived,
    release() {
      holding = false;
      for (const answer of held.splice(0)) answer();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('fair queue: a burst from one mailbox does not hold back another mailbox', () => {
  const BULK_AFTER = 2;
  let ctx: TestContext;
  let relay: Awaited<ReturnType<typeof startHoldingRelay>>;
  let gateway: PlatformOutboundGateway;
  let policy: RunningPolicyServer;
  let stack: TestMailstack;

  beforeAll(async () => {
    ctx = await createTestContext((d) => ({ sending: { ...d.sending, bulkAfter: BULK_AFTER } }));
    relay = await startHoldingRelay();
    await makeRelay(ctx, { name: 'slow', port: relay.port, priority: 10, role: 'primary' });
    gateway = await startTestOutboundGateway(ctx, 30_000);
    policy = await startSendingPolicy(ctx, { host: '127.0.0.1', port: 0 });
    stack = await startTestMailstack(ctx.databaseUrl, {
      outboundFilter: { host: '127.0.0.1', port: gateway.port },
      sendingPolicy: { host: '127.0.0.1', port: policy.port },
    });
  });

  afterAll(async () => {
    relay?.release();
    await stack?.stop();
    await policy?.stop();
    await gateway?.stop();
    await relay?.stop();
    await ctx?.destroy();
  });

  async function submit(from: string, subject: string) {
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: stack.ports.submission,
      ignoreTLS: true,
      auth: { user: from, pass: TEST_PASSWORD },
    });
    try {
      await client.sendMail({ from, to: 'friend@remote.example', subject, text: 'Bonjour.' });
    } finally {
      client.close();
    }
  }

  it("delivers another mailbox's single message while the burst waits in its own lane, and loses nothing", async () => {
    const heavy = await makeTenant(ctx);
    const light = await makeTenant(ctx);
    const burst = Array.from({ length: 10 }, (_, i) => `burst ${i + 1}`);
    for (const subject of burst) await submit(heavy.mailbox.address, subject);
    await submit(light.mailbox.address, 'single');

    // The relay answers nothing yet: in one queue the burst's first messages would fill every
    // connection to it, and the single message would wait for the whole burst.
    await waitUntil('the single message at the relay', () => relay.arrived.includes('single'));
    const before = relay.arrived.slice(0, relay.arrived.indexOf('single'));
    // At most the messages sent before the burst began, and one of the bulk lane.
    expect(before.length).toBeLessThanOrEqual(BULK_AFTER + 1);

    relay.release();
    await waitUntil('the whole burst at the relay', () => burst.every((s) => relay.arrived.includes(s)));
    await waitUntil('an empty queue', async () => (await stack.queue()).length === 0);
  });
});
