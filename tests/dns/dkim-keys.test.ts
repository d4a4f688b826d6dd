import crypto from 'node:crypto';
import { ensureDomainDkimKey, getSigningKeys } from '../../src/dns/dkim-keys';
import { createTestContext, TestContext } from '../support/context';
import { makeCollective, makeDomain } from '../support/factories';

describe('DKIM keys', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.destroy());

  it('gives an active domain one active RSA-2048 key whose private part signs for its public part', async () => {
    const c = await makeCollective(ctx);
    const d = await makeDomain(ctx, { collectiveId: c.id, status: 'active' });
    const [key] = await ensureDomainDkimKey(ctx, d.id);
    expect(key).toMatchObject({
      state: 'active',
      selector: 'giroflee1',
      algorithm: 'rsa',
      mode: 'delegated',
    });
    expect(key.private_key).toMatch(/^v1:/);

    const signing = await getSigningKeys(ctx, d.name.toUpperCase());
    expect(signing).toHaveLength(1);
    expect(signing[0]).toMatchObject({ domain: d.name, selector: 'giroflee1', algorithm: 'rsa-sha256' });
    const priv = crypto.createPrivateKey(signing[0].privateKeyPem);
    expect(priv.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const pub = crypto.createPublicKey({
      key: Buffer.from(key.public_key, 'base64'),
      format: 'der',
      type: 'spki',
    });
    const sig = crypto.sign('sha256', Buffer.from('hello'), priv);
    expect(crypto.verify('sha256', Buffer.from('hello'), pub, sig)).toBe(true);
  });

  it('does not create a second active key when called again', async () => {
    const c = await makeCollective(ctx);
    const d = await makeDomain(ctx, { collectiveId: c.id });
    await Promise.all([ensureDomainDkimKey(ctx, d.id), ensureDomainDkimKey(ctx, d.id)]);
    const keys = await ctx.db('dkim_keys').where({ domain_id: d.id });
    expect(keys).toHaveLength(1);
  });

  it.each(['pending', 'suspended'] as const)('gives no signing key for a %s domain', async (status) => {
    const c = await makeCollective(ctx);
    const d = await makeDomain(ctx, { collectiveId: c.id, status });
    await ensureDomainDkimKey(ctx, d.id);
    expect(await getSigningKeys(ctx, d.name)).toEqual([]);
  });

  it('gives no signing key for an unknown or malformed name', async () => {
    expect(await getSigningKeys(ctx, 'nowhere.example')).toEqual([]);
    expect(await getSigningKeys(ctx, 'not a domain')).toEqual([]);
  });

  it('adds an Ed25519 key when dual signing is enabled', async () => {
    const c = await makeCollective(ctx);
    const d = await makeDomain(ctx, { collectiveId: c.id });
    const dual = { ...ctx, config: { ...ctx.config, dns: { ...ctx.config.dns, dkimEd25519: true } } };
    await ensureDomainDkimKey(dual, d.id);
    const signing = await getSigningKeys(ctx, d.name);
    expect(signing.map((k) => k.algorithm)).toEqual(['rsa-sha256', 'ed25519-sha256']);
    expect(crypto.createPrivateKey(signing[1].privateKeyPem).asymmetricKeyType).toBe('ed25519');
  });
});
