import * as openpgp from 'openpgp';
import {
  listMailboxKeys,
  MailboxKeyRow,
  provisionMailboxKeys,
  recoverMailboxKeys,
  resetMailboxKeys,
  rewrapMailboxKeys,
  rotateMailboxKey,
} from '../../src/encryption/mailbox-keys';
import { normalizeRecoveryCode } from '../../src/encryption/passphrase';
import { createTestContext, TestContext } from '../support/context';
import { makeCollective, makeDomain, makeMailbox } from '../support/factories';
import { decryptStored, unlockKey } from '../support/openpgp';

async function encryptTo(row: MailboxKeyRow, text: string): Promise<string> {
  const key = await openpgp.readKey({ armoredKey: row.public_key });
  return openpgp.encrypt({ message: await openpgp.createMessage({ text }), encryptionKeys: key });
}

/** Reads a message the way the webmail does: derive the passphrase, unlock, decrypt. */
async function readWithPassword(row: MailboxKeyRow, password: string, armored: string): Promise<string> {
  const privateKey = await unlockKey(row.private_key!, password, row.password_kdf!);
  return (await decryptStored(armored, privateKey)).toString('utf8');
}

describe('mailbox keys', () => {
  let ctx: TestContext;
  let domainId: string;
  beforeAll(async () => {
    ctx = await createTestContext();
    const collective = await makeCollective(ctx);
    domainId = (await makeDomain(ctx, { collectiveId: collective.id })).id;
  });
  afterAll(() => ctx.destroy());

  async function newMailbox() {
    const mailbox = await makeMailbox(ctx, { domainId, encryptionMode: 'generated' });
    return { id: mailbox.id, address: mailbox.address };
  }
  const keysOf = (id: string) => listMailboxKeys(ctx, id);

  it('provisions a classic v4 cv25519 key for the address, with a recovery code in 8 groups of 4', async () => {
    const mailbox = await newMailbox();
    const { recoveryCode, fingerprint } = await provisionMailboxKeys(ctx, mailbox, 'first password');
    expect(recoveryCode).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$/);
    const [row] = await keysOf(mailbox.id);
    expect(row).toMatchObject({ fingerprint, state: 'active', source: 'generated' });
    const key = await openpgp.readKey({ armoredKey: row.public_key });
    expect(key.keyPacket.version).toBe(4);
    expect(key.getAlgorithmInfo()).toMatchObject({ algorithm: 'eddsaLegacy', curve: 'ed25519Legacy' });
    expect(key.users[0].userID?.email).toBe(mailbox.address);
    expect(row.private_key).toContain('BEGIN PGP PRIVATE KEY BLOCK');
    // The private copy is really encrypted: the password itself is not the passphrase.
    await expect(
      openpgp.decryptKey({
        privateKey: await openpgp.readPrivateKey({ armoredKey: row.private_key! }),
        passphrase: 'first password',
      }),
    ).rejects.toThrow();
    const secret = await encryptTo(row, 'hello');
    expect(await readWithPassword(row, 'first password', secret)).toBe('hello');
  });

  it('re-wraps keys on password change, so old mail reads with the new password only', async () => {
    const mailbox = await newMailbox();
    await provisionMailboxKeys(ctx, mailbox, 'old password');
    const secret = await encryptTo((await keysOf(mailbox.id))[0], 'before the change');
    await rewrapMailboxKeys(ctx, mailbox.id, 'old password', 'new password');
    const [row] = await keysOf(mailbox.id);
    expect(await readWithPassword(row, 'new password', secret)).toBe('before the change');
    await expect(readWithPassword(row, 'old password', secret)).rejects.toThrow();
  });

  it('refuses a password change when the current password does not unlock the keys, changing nothing', async () => {
    const mailbox = await newMailbox();
    await provisionMailboxKeys(ctx, mailbox, 'right password');
    const before = await keysOf(mailbox.id);
    await expect(rewrapMailboxKeys(ctx, mailbox.id, 'wrong password', 'x')).rejects.toMatchObject({
      status: 403,
      code: 'forbidden',
    });
    expect(await keysOf(mailbox.id)).toEqual(before);
  });

  it('keeps old mail readable across a rotation, with a new recovery code covering every key', async () => {
    const mailbox = await newMailbox();
    await provisionMailboxKeys(ctx, mailbox, 'pw');
    const oldSecret = await encryptTo((await keysOf(mailbox.id))[0], 'old mail');
    const { fingerprint, recoveryCode } = await rotateMailboxKey(ctx, mailbox, 'pw');
    const rows = await keysOf(mailbox.id);
    expect(rows.map((r) => r.state)).toEqual(['retired', 'active']);
    expect(rows[1].fingerprint).toBe(fingerprint);
    const newSecret = await encryptTo(rows[1], 'new mail');
    expect(await readWithPassword(rows[0], 'pw', oldSecret)).toBe('old mail');
    expect(await readWithPassword(rows[1], 'pw', newSecret)).toBe('new mail');
    const recovered = await recoverMailboxKeys(ctx, mailbox.id, {
      recoveryCode: recoveryCode.toLowerCase().replace(/-/g, ' '),
      newPassword: 'after recovery',
    });
    expect(recovered.recovered.sort()).toEqual(rows.map((r) => r.fingerprint).sort());
    const after = await keysOf(mailbox.id);
    expect(await readWithPassword(after[0], 'after recovery', oldSecret)).toBe('old mail');
  });

  it('admin reset locks old keys and makes a new one; the old recovery code reopens them later', async () => {
    const mailbox = await newMailbox();
    const first = await provisionMailboxKeys(ctx, mailbox, 'forgotten password');
    const oldSecret = await encryptTo((await keysOf(mailbox.id))[0], 'mail before the reset');
    const reset = await resetMailboxKeys(ctx, mailbox, 'given by the admin');
    expect(reset.lockedKeys).toBe(1);
    let rows = await keysOf(mailbox.id);
    expect(rows.map((r) => r.state)).toEqual(['locked', 'active']);
    const newSecret = await encryptTo(rows[1], 'mail after the reset');
    expect(await readWithPassword(rows[1], 'given by the admin', newSecret)).toBe('mail after the reset');

    // The old code alone cannot re-wrap the key the reset made: the current password is needed.
    await expect(
      recoverMailboxKeys(ctx, mailbox.id, { recoveryCode: first.recoveryCode, newPassword: 'mine' }),
    ).rejects.toMatchObject({ code: 'current_password_required' });
    const result = await recoverMailboxKeys(ctx, mailbox.id, {
      recoveryCode: first.recoveryCode,
      newPassword: 'mine',
      currentPassword: 'given by the admin',
    });
    expect(result.recovered).toEqual([rows[0].fingerprint]);
    rows = await keysOf(mailbox.id);
    expect(rows.map((r) => r.state)).toEqual(['retired', 'active']);
    expect(await readWithPassword(rows[0], 'mine', oldSecret)).toBe('mail before the reset');
    expect(await readWithPassword(rows[1], 'mine', newSecret)).toBe('mail after the reset');
    // The spent code no longer works; the new one does.
    await expect(
      recoverMailboxKeys(ctx, mailbox.id, { recoveryCode: first.recoveryCode, newPassword: 'x' }),
    ).rejects.toMatchObject({ status: 403 });
    await recoverMailboxKeys(ctx, mailbox.id, { recoveryCode: result.recoveryCode, newPassword: 'y' });
  });

  it.each([
    ['too short', 'ABCD-EFGH'],
    ['a letter outside the alphabet', 'UUUU-0000-0000-0000-0000-0000-0000-0000'],
  ])('refuses a malformed recovery code (%s)', (_label, code) => {
    expect(() => normalizeRecoveryCode(code)).toThrow(
      expect.objectContaining({ code: 'recovery_code_malformed' }),
    );
  });
});
