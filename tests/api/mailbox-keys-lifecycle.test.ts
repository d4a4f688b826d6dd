import * as openpgp from 'openpgp';
import type { Actor } from '../../src/auth/actor';
import { loadMailboxActor } from '../../src/auth/sessions';
import type { KdfParams } from '../../src/encryption/passphrase';
import { encryptMessage, splitMessage } from '../../src/encryption/pgp-mime';
import { makeTenant } from '../support/factories';
import { corpus } from '../encryption/mime-corpus';
import { useTestApp } from '../support/app';
import { startTestApp } from '../support/http';
import { decryptStored, unlockKey } from '../support/openpgp';

/**
 * The promises of the key lifecycle, through the API only: mail received before a password
 * change, an admin reset, a recovery or a rotation stays readable exactly as the responses say.
 */
describe('mailbox key lifecycle through the API', () => {
  const app = useTestApp();
  let tenant: Awaited<ReturnType<typeof makeTenant>>;
  const raw = corpus[2][1];
  const original = splitMessage(raw).body;

  /** Encrypts as the gateway does, to the mailbox's active keys as the API lists them. */
  async function receive(address: string, as: Actor): Promise<Buffer> {
    const res = await app.client.request('GET', `/api/v1/mailboxes/${address}/keys`, { as });
    const active = res.body.keys.filter((k: { state: string }) => k.state === 'active');
    const keys = await Promise.all(
      active.map((k: { publicKey: string }) => openpgp.readKey({ armoredKey: k.publicKey })),
    );
    return (await encryptMessage(raw, keys))!;
  }

  /**
   * A request as the owner with a new session: password changes and recoveries close the
   * mailbox's sessions, as they should.
   */
  async function asOwner(method: string, path: string, body?: unknown) {
    const fresh = await startTestApp(app.ctx);
    try {
      const owner = (await loadMailboxActor(app.ctx, mailboxId)) as Actor;
      return await fresh.request(method, path, { as: owner, body });
    } finally {
      await fresh.close();
    }
  }
  let mailboxId: string;

  /** Reads a stored message as the webmail does: export, derive, unlock, decrypt. */
  async function readable(address: string, password: string, stored: Buffer): Promise<boolean> {
    const res = await asOwner('GET', `/api/v1/mailboxes/${address}/keys/private`);
    for (const k of res.body.keys as Array<{ privateKey: string; passphrase: KdfParams }>) {
      try {
        const key = await unlockKey(k.privateKey, password, k.passphrase);
        if (splitMessage(await decryptStored(stored, key)).body.equals(original)) return true;
      } catch {
        // Not this key, or not this password: try the next one.
      }
    }
    return false;
  }

  beforeAll(async () => {
    tenant = await makeTenant(app.ctx);
  });

  it('keeps old mail readable across password change, admin reset + recovery, and rotation', async () => {
    const first = 'first long password 2026';
    const created = await app.client.request('POST', `/api/v1/domains/${tenant.domain.name}/mailboxes`, {
      as: tenant.actors.admin,
      body: { localPart: 'cycle', password: first },
    });
    expect(created.status).toBe(201);
    const address = created.body.address as string;
    const firstCode = created.body.recoveryCode as string;
    expect(firstCode).toMatch(/^(\w{4}-){7}\w{4}$/);
    mailboxId = created.body.id;
    const mail1 = await receive(address, tenant.actors.admin);

    // 1. The owner changes the password: everything stays readable, with the new one only.
    const second = 'second long password 2026';
    const change = await asOwner('POST', `/api/v1/mailboxes/${address}/password`, {
      currentPassword: first,
      newPassword: second,
    });
    expect(change.status).toBe(200);
    expect(await readable(address, second, mail1)).toBe(true);
    expect(await readable(address, first, mail1)).toBe(false);

    // 2. An admin resets it: new mail uses a new key; old mail needs the recovery code.
    const third = 'reset by the admin 2026';
    const reset = await app.client.request('POST', `/api/v1/mailboxes/${address}/password`, {
      as: tenant.actors.admin,
      body: { newPassword: third },
    });
    expect(reset.body).toMatchObject({ kind: 'reset', recoveryCode: null });
    const mail2 = await receive(address, tenant.actors.admin);
    // 2b. The temporary password only lets the owner choose one, which brings a fresh recovery code.
    expect((await asOwner('GET', `/api/v1/mailboxes/${address}/keys/private`)).status).toBe(403);
    const chosen = 'chosen after the reset 2026';
    const choose = await asOwner('POST', `/api/v1/mailboxes/${address}/password`, {
      currentPassword: third,
      newPassword: chosen,
    });
    expect(choose.body).toMatchObject({
      kind: 'change',
      recoveryCode: expect.stringMatching(/^(\w{4}-){7}\w{4}$/),
    });
    expect(await readable(address, chosen, mail2)).toBe(true);
    expect(await readable(address, chosen, mail1)).toBe(false);
    const states = (await asOwner('GET', `/api/v1/mailboxes/${address}/keys`)).body.keys.map(
      (k: { state: string }) => k.state,
    );
    expect(states).toEqual(['locked', 'active']);

    // 3. The first recovery code brings the old key back under a new password.
    const fourth = 'recovered long password 2026';
    const recover = await app.client.request('POST', `/api/v1/mailboxes/${address}/keys/recover`, {
      body: { recoveryCode: firstCode, newPassword: fourth, currentPassword: chosen },
    });
    expect(recover.status).toBe(200);
    expect(await readable(address, fourth, mail1)).toBe(true);
    expect(await readable(address, fourth, mail2)).toBe(true);

    // 4. Rotation: new mail to the new key, all of it readable.
    const rotate = await asOwner('POST', `/api/v1/mailboxes/${address}/keys/rotate`, { password: fourth });
    expect(rotate.status).toBe(201);
    const mail3 = await receive(address, tenant.actors.admin);
    for (const m of [mail1, mail2, mail3]) expect(await readable(address, fourth, m)).toBe(true);
    const finalStates = (await asOwner('GET', `/api/v1/mailboxes/${address}/keys`)).body.keys.map(
      (k: { state: string }) => k.state,
    );
    expect(finalStates).toEqual(['retired', 'retired', 'active']);
  }, 300_000); // a dozen argon2id derivations: minutes on a loaded 2-core machine
});
