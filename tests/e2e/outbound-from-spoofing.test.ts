import nodemailer from 'nodemailer';
import type { PlatformOutboundGateway } from '../../src/relay/components';
import { allowedSenders } from '../../src/relay/sender-identities';
import { startSubmissionMilter, type RunningMilter } from '../../src/relay/submission-milter';
import { createTestContext, TestContext } from '../support/context';
import {
  makeAlias,
  makeCollective,
  makeDkimKeys,
  makeDomain,
  makeMailbox,
  makeRelay,
  TEST_PASSWORD,
} from '../support/factories';
import { freePorts, startTestMailstack, type TestMailstack } from '../support/mailstack';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';
import { startTestOutboundGateway } from '../support/outbound-gateway';
import { startFakeRelay, type FakeRelay } from '../relay/support/fake-relay';

jest.setTimeout(REAL_STACK_TEST_MS);

/**
 * Issue 8, item 9: a mailbox of collective A submitted with its own envelope sender and
 * `From: ceo@<B's domain>`, and the gateway signed d=<B's domain>, passing DMARC as B.
 */
describe('submission on the real Postfix: From and Sender held to the login (cross-collective spoofing)', () => {
  let ctx: TestContext;
  let stack: TestMailstack;
  let gateway: PlatformOutboundGateway;
  let milter: RunningMilter;
  let milterPort: number;
  let relay: FakeRelay;
  let alice: { address: string };
  let aliceAlias: string;
  let otherDomain: string;
  let otherMailbox: string;

  type Outcome = { accepted: true } | { accepted: false; code?: number; response: string };

  const master = { user: 'webmail', password: 'a master secret for this test only' };

  async function submit(
    headers: { from: string; sender?: string },
    subject: string,
    auth = { user: alice.address, pass: TEST_PASSWORD },
  ): Promise<Outcome> {
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: stack.ports.submission,
      ignoreTLS: true,
      auth,
    });
    try {
      await client.sendMail({
        envelope: { from: alice.address, to: ['friend@remote.example'] },
        from: headers.from,
        sender: headers.sender,
        to: 'friend@remote.example',
        subject,
        text: 'Bonjour.',
      });
      return { accepted: true };
    } catch (e) {
      const err = e as { responseCode?: number; response?: string; message: string };
      return { accepted: false, code: err.responseCode, response: err.response ?? err.message };
    } finally {
      client.close();
    }
  }

  const received = (subject: string) => relay.received.find((m) => m.raw.includes(`Subject: ${subject}`));

  beforeAll(async () => {
    ctx = await createTestContext();
    const a = await makeCollective(ctx);
    const aDomain = await makeDomain(ctx, { collectiveId: a.id });
    await makeDkimKeys(ctx, aDomain.id);
    alice = await makeMailbox(ctx, { domainId: aDomain.id });
    aliceAlias = (
      await makeAlias(ctx, { domainId: aDomain.id, localPart: 'contact', destinations: [alice.address] })
    ).source;

    const b = await makeCollective(ctx);
    const bDomain = await makeDomain(ctx, { collectiveId: b.id });
    await makeDkimKeys(ctx, bDomain.id);
    otherDomain = bDomain.name;
    otherMailbox = (await makeMailbox(ctx, { domainId: bDomain.id, localPart: 'ceo' })).address;

    relay = await startFakeRelay();
    await makeRelay(ctx, { name: 'primary', port: relay.port, priority: 10, role: 'primary' });
    gateway = await startTestOutboundGateway(ctx);
    [milterPort] = await freePorts(1);
    milter = await startSubmissionMilter({
      listen: { host: '127.0.0.1', port: milterPort! },
      allowedSenders: (login, addresses) => allowedSenders(ctx, login, addresses),
    });
    stack = await startTestMailstack(ctx.databaseUrl, {
      inboundTransport: 'dovecot',
      outboundFilter: { host: '127.0.0.1', port: gateway.port },
      submissionMilter: { host: '127.0.0.1', port: milterPort! },
      masterUser: master,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await milter?.stop();
    await gateway?.stop();
    await relay?.stop();
    await ctx?.destroy();
  });

  it('refuses at submission (550 5.7.1) a From of another collective’s mailbox, and nothing is queued or relayed', async () => {
    const outcome = await submit({ from: `CEO <${otherMailbox}>` }, 'spoofed from');
    expect(outcome).toMatchObject({ accepted: false, code: 550 });
    expect((outcome as { response: string }).response).toContain('5.7.1');
    expect(await stack.queue()).toHaveLength(0);
    expect(received('spoofed from')).toBeUndefined();
  });

  it('refuses a Sender of another collective even beside an own From, and a From of a domain nobody hosts', async () => {
    const sender = await submit({ from: alice.address, sender: otherMailbox }, 'spoofed sender');
    expect(sender).toMatchObject({ accepted: false, code: 550 });
    const group = await submit({ from: `Team: ${alice.address}, nobody@${otherDomain};` }, 'spoofed group');
    expect(group).toMatchObject({ accepted: false, code: 550 });
    const foreign = await submit({ from: 'someone@elsewhere.example' }, 'foreign from');
    expect(foreign).toMatchObject({ accepted: false, code: 550 });
    expect(await stack.queue()).toHaveLength(0);
  });

  it('accepts an alias of the login as From and signs it for its own domain only', async () => {
    expect(await submit({ from: `Contact <${aliceAlias.toUpperCase()}>` }, 'from alias')).toEqual({
      accepted: true,
    });
    const got = await waitUntil('the alias message at the relay', () => received('from alias'));
    const aliceDomain = alice.address.split('@')[1]!;
    expect(got.raw).toContain(`d=${aliceDomain};`);
    expect(got.raw).not.toContain(`d=${otherDomain};`);
  });

  it('holds the webmail, logged in through the master user, to the mailbox it opened', async () => {
    const webmail = { user: `${alice.address}*${master.user}`, pass: master.password };
    expect(await submit({ from: alice.address }, 'from webmail', webmail)).toEqual({ accepted: true });
    await waitUntil('the webmail message at the relay', () => received('from webmail'));
    expect(await submit({ from: otherMailbox }, 'webmail spoof', webmail)).toMatchObject({
      accepted: false,
      code: 550,
    });
  });

  it('answers 4xx, never accepts unchecked mail, while the milter is down', async () => {
    await milter.stop();
    const outcome = await submit({ from: alice.address }, 'milter down');
    expect(outcome).toMatchObject({ accepted: false });
    expect((outcome as { code?: number }).code).toBeGreaterThanOrEqual(400);
    expect((outcome as { code?: number }).code).toBeLessThan(500);
    expect(received('milter down')).toBeUndefined();
  });
});
