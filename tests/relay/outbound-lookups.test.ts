import { activatePendingKey, insertDkimKey, otherSelector } from '../../src/dns/dkim-keys';
import { OUTBOUND_LOOKUP_MS, outboundLookups } from '../../src/relay/components';
import { updateRelayRow } from '../../src/relay/relays';
import { createTestContext, TestContext } from '../support/context';
import { makeCollective, makeDkimKeys, makeDomain, makeRelay } from '../support/factories';

describe("the outbound gateway's cached relays and signing keys", () => {
  let ctx: TestContext;
  let t = 0;
  const clock = () => t;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx?.destroy());

  it('signs with the new key within OUTBOUND_LOOKUP_MS of a rotation', async () => {
    const collective = await makeCollective(ctx);
    const domain = await makeDomain(ctx, { collectiveId: collective.id });
    const [rsa] = (await makeDkimKeys(ctx, domain.id)).filter((k) => k.algorithm === 'rsa');
    const lookups = outboundLookups(ctx, clock);
    const selectors = async () => (await lookups.signingKeys(domain.name)).map((k) => k.selector);
    const before = await selectors();
    expect(before).toContain(rsa.selector);

    const next = (await insertDkimKey(ctx, {
      domainId: domain.id,
      algorithm: 'rsa',
      selector: otherSelector('rsa', rsa.selector),
      mode: rsa.mode,
      state: 'pending',
    }))!;
    await activatePendingKey(ctx, next);
    t += OUTBOUND_LOOKUP_MS - 1;
    expect(await selectors()).toEqual(before);
    t += 1;
    const after = await selectors();
    expect(after).toContain(next.selector);
    expect(after).not.toContain(rsa.selector);
  });

  it('stops routing to a disabled relay and routes to a new one within OUTBOUND_LOOKUP_MS', async () => {
    const first = await makeRelay(ctx);
    const lookups = outboundLookups(ctx, clock);
    const names = async () => (await lookups.loadRelays()).map((r) => r.name);
    expect(await names()).toEqual([first.name]);

    await updateRelayRow(ctx, first.id, { state: 'disabled' });
    const second = await makeRelay(ctx);
    t += OUTBOUND_LOOKUP_MS - 1;
    expect(await names()).toEqual([first.name]);
    t += 1;
    expect(await names()).toEqual([second.name]);
  });
});
