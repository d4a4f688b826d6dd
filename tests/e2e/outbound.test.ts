import nodemailer from 'nodemailer';
import { dkimVerify } from 'mailauth';
import { dkimTxtValue, type DkimKeyRow } from '../../src/dns/dkim-keys';
import type { PlatformOutboundGateway } from '../../src/relay/components';
import { createTestContext, TestContext } from '../support/context';
import {
  makeCollective,
  makeDkimKeys,
  makeDomain,
  makeMailbox,
  makeRelay,
  TEST_PASSWORD,
} from '../support/factories';
import {
  retryQueueUntil,
  startTestMailstack,
  waitUntilDeferred,
  type TestMailstack,
} from '../support/mailstack';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';
import { startTestOutboundGateway } from '../support/outbound-gateway';
import { deadPort, startFakeRelay, type FakeRelay } from '../relay/support/fake-relay';

jest.setTimeout(REAL_STACK_TEST_MS);

describe('outbound mail on the real Postfix, through the gateway and the relay pool', () => {
  let ctx: TestContext;
  let stack: TestMailstack;
  let gateway: PlatformOutboundGateway;
  let primary: FakeRelay;
  let fallback: FakeRelay;
  let owner: { address: string };
  let domainName: string;
  let keys: DkimKeyRow[];
  let sent = 0;

  const arrived = () => primary.received.length + fallback.received.length;

  async function submit(subject: string): Promise<void> {
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: stack.ports.submission,
      ignoreTLS: true,
      auth: { user: owner.address, pass: TEST_PASSWORD },
    });
    try {
      await client.sendMail({
        from: owner.address,
        to: 'friend@remote.example',
        subject,
        headers: { 'X-Originating-IP': '[127.0.0.1]' },
        text: 'Bonjour depuis giroflee.',
      });
      sent += 1;
    } finally {
      client.close();
    }
  }

  const find = (relay: FakeRelay, subject: string) =>
    relay.received.find((m) => m.raw.includes(`Subject: ${subject}`));

  beforeAll(async () => {
    ctx = await createTestContext((defaults) => ({ dns: { ...defaults.dns, dkimEd25519: true } }));
    const collective = await makeCollective(ctx);
    const domain = await makeDomain(ctx, { collectiveId: collective.id });
    domainName = domain.name;
    keys = await makeDkimKeys(ctx, domain.id);
    owner = await makeMailbox(ctx, { domainId: domain.id });

    primary = await startFakeRelay();
    fallback = await startFakeRelay();
    await makeRelay(ctx, { name: 'primary', port: primary.port, priority: 10, role: 'primary' });
    await makeRelay(ctx, { name: 'fallback', port: fallback.port, priority: 10, role: 'fallback' });

    gateway = await startTestOutboundGateway(ctx);
    stack = await startTestMailstack(ctx.databaseUrl, {
      inboundTransport: 'dovecot',
      outboundFilter: { host: '127.0.0.1', port: gateway.port },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await gateway?.stop();
    await primary?.stop();
    await fallback?.stop();
    await ctx?.destroy();
  });

  it('delivers submitted mail DKIM-signed (RSA and Ed25519) to the primary relay, without the client IP', async () => {
    await submit('signed');
    const got = await waitUntil('the message at the primary', () => find(primary, 'signed'));
    expect(got.from).toBe(owner.address);
    expect(got.to).toEqual(['friend@remote.example']);
    expect(got.raw).not.toMatch(/X-Originating-IP/i);
    expect(got.raw).not.toMatch(/127\.0\.0\.1|\[::1\]/);

    // The published keys, served by an injected resolver: no DNS packet leaves the machine.
    const zone = new Map(keys.map((k) => [`${k.selector}._domainkey.${domainName}`, dkimTxtValue(k)]));
    const resolver = async (name: string, rrtype: string) => {
      const txt = zone.get(name.toLowerCase());
      if (rrtype !== 'TXT' || !txt) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      return [[txt]];
    };
    const verdict = await dkimVerify(Buffer.from(got.raw), { resolver, curTime: ctx.now() });
    expect(verdict.results.map((r) => [r.signingDomain, r.selector, r.status.result]).sort()).toEqual([
      [domainName, 'giroflee1', 'pass'],
      [domainName, 'giroflee1e', 'pass'],
    ]);
    expect(fallback.received).toHaveLength(0);
  });

  it('delivers through the fallback when the primary is down', async () => {
    await ctx
      .db('relays')
      .where({ name: 'primary' })
      .update({ port: await deadPort(), updated_at: ctx.now() });
    await submit('via fallback');
    await waitUntil('the message at the fallback', () => find(fallback, 'via fallback'));
    expect(find(primary, 'via fallback')).toBeUndefined();
  });

  it('keeps mail in the Postfix queue while every relay is down, and delivers it when one returns', async () => {
    await ctx
      .db('relays')
      .where({ name: 'fallback' })
      .update({ port: await deadPort(), updated_at: ctx.now() });
    await submit('held 1');
    await submit('held 2');
    // Tried once and deferred by Postfix, not merely queued: a flush now reaches both.
    await waitUntilDeferred(stack, 'both messages deferred in the queue', 2);
    expect(find(primary, 'held 1')).toBeUndefined();
    expect(find(fallback, 'held 1')).toBeUndefined();

    // The primary comes back; once the breaker's cool-down is over, Postfix's retry goes through.
    // Postfix may retry both at once while the half-open breaker lets one probe through: the
    // other is deferred again, and goes through on the next retry.
    await ctx.db('relays').where({ name: 'primary' }).update({ port: primary.port, updated_at: ctx.now() });
    ctx.clock.advance(ctx.config.relay.breakerCoolDownMs);
    await retryQueueUntil(
      stack,
      'the held messages at the primary and an empty queue',
      async () =>
        Boolean(find(primary, 'held 1') && find(primary, 'held 2')) && (await stack.queue()).length === 0,
    );
  });

  it('lost nothing and duplicated nothing: every submitted message arrived exactly once', () => {
    expect(sent).toBe(4);
    expect(arrived()).toBe(sent);
  });
});
