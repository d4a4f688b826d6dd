import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envelopeContext, envelopeKeyId, unwrapSecret, wrapSecret } from '../../src/encryption/envelope';
import { Keyring, saveKeyring } from '../../src/encryption/master-key';
import { retireMasterKey, rotateMasterKey } from '../../src/encryption/master-key-rotation';
import { registerWrappedColumn } from '../../src/encryption/wrapped-columns';
import { createTestContext, TestContext } from '../support/context';
import { makeAccount } from '../support/factories';

describe('master key rotation', () => {
  let ctx: TestContext;
  let dir: string;
  let file: string;
  const secrets = new Map<string, string>();

  const readKeyring = () => Keyring.parse(fs.readFileSync(file, 'utf8'), file);
  const envelopes = async () =>
    [
      ...(await ctx.db('accounts').whereNotNull('totp_secret').select('id', 'totp_secret as e')).map((r) => ({
        ...r,
        context: envelopeContext('accounts', 'totp_secret', r.id),
      })),
      ...(await ctx.db('test_vault').select('name as id', 'secret as e')).map((r) => ({
        ...r,
        context: envelopeContext('test_vault', 'secret', r.id),
      })),
    ] as Array<{ id: string; e: string; context: string }>;

  beforeAll(async () => {
    ctx = await createTestContext();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-keys-'));
    file = path.join(dir, 'master.key');
    const keyring = new Keyring([Keyring.generateKey()]);
    saveKeyring(file, keyring);
    // A second module's table, keyed by name, registered as other modules do.
    await ctx.db.raw('CREATE TABLE test_vault (name text PRIMARY KEY, secret text)');
    registerWrappedColumn('test_vault', 'secret', 'name');
    for (let i = 0; i < 25; i++) {
      const a = await makeAccount(ctx);
      const secret = `totp-${i}`;
      await ctx
        .db('accounts')
        .where({ id: a.id })
        .update({
          totp_secret: wrapSecret(keyring, secret, envelopeContext('accounts', 'totp_secret', a.id)),
        });
      secrets.set(envelopeContext('accounts', 'totp_secret', a.id), secret);
    }
    for (const name of ['alpha', 'beta', 'gamma']) {
      const context = envelopeContext('test_vault', 'secret', name);
      await ctx.db('test_vault').insert({ name, secret: wrapSecret(keyring, `vault-${name}`, context) });
      secrets.set(context, `vault-${name}`);
    }
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await ctx.destroy();
  });

  it('resumes an interrupted rotation: no second key, nothing lost, nothing wrapped twice; then retires the old key', async () => {
    const oldKey = readKeyring().current.id;
    let batches = 0;
    await expect(
      rotateMasterKey(ctx.db, file, {
        batchSize: 10,
        onProgress: ({ done }) => {
          // Interrupt after the first committed batch, as a kill would.
          if (done > 0 && ++batches === 1) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const newKey = readKeyring().current.id;
    expect(newKey).not.toBe(oldKey);
    const half = (await envelopes()).filter((e) => envelopeKeyId(e.e) === newKey);
    expect(half).toHaveLength(10);

    // Retiring the old key now would lose secrets: refused, file unchanged.
    await expect(retireMasterKey(ctx.db, file, oldKey)).rejects.toMatchObject({ code: 'master_key_in_use' });
    expect(readKeyring().keys).toHaveLength(2);

    const result = await rotateMasterKey(ctx.db, file, { batchSize: 10 });
    expect(result).toMatchObject({ keyId: newKey, continued: true, rewrapped: 28 - 10, retirable: [oldKey] });
    expect(readKeyring().keys.map((k) => k.id)).toEqual([oldKey, newKey]);
    // The first batch kept its envelopes: they were not wrapped a second time.
    const after = await envelopes();
    for (const h of half) expect(after.find((e) => e.id === h.id)!.e).toBe(h.e);
    const keyring = readKeyring();
    for (const e of after) {
      expect(envelopeKeyId(e.e)).toBe(newKey);
      expect(unwrapSecret(keyring, e.e, e.context).toString()).toBe(secrets.get(e.context));
    }

    await retireMasterKey(ctx.db, file, oldKey);
    expect(readKeyring().keys.map((k) => k.id)).toEqual([newKey]);
    await expect(retireMasterKey(ctx.db, file, newKey)).rejects.toMatchObject({ code: 'master_key_current' });
  });

  it('stops at a secret that does not open and names it, keeping what was done', async () => {
    const keyring = readKeyring();
    // An envelope moved onto another row no longer opens (its row identity is authenticated).
    const [a, b] = await ctx.db('accounts').whereNotNull('totp_secret').orderBy('id').limit(2);
    await ctx.db('accounts').where({ id: b.id }).update({ totp_secret: a.totp_secret });
    const err = await rotateMasterKey(ctx.db, file, { batchSize: 5 }).catch((e) => e);
    expect(err).toMatchObject({
      code: 'secret_does_not_open',
      details: { secret: `accounts.totp_secret:${b.id}` },
    });
    expect(err.text.fr).toContain(`accounts.totp_secret:${b.id}`);
    expect(readKeyring().keys).toHaveLength(keyring.keys.length + 1);
  });

  it('refuses to start when a column holds envelopes that nobody registered', async () => {
    await ctx.db.raw('CREATE TABLE test_stray (id text PRIMARY KEY, token text)');
    const context = envelopeContext('test_stray', 'token', 'x');
    await ctx.db('test_stray').insert({ id: 'x', token: wrapSecret(readKeyring(), 'stray', context) });
    await expect(rotateMasterKey(ctx.db, file)).rejects.toMatchObject({
      code: 'unregistered_envelope_columns',
      details: { columns: ['test_stray.token'] },
    });
  });
});
