import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as openpgp from 'openpgp';
import type { Actor } from '../../src/auth/actor';
import { loadMailboxActor } from '../../src/auth/sessions';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { derivePassphrase, KdfParams } from '../../src/encryption/passphrase';
import { encryptMessage, splitMessage } from '../../src/encryption/pgp-mime';
import { wkdHash, zBase32 } from '../../src/encryption/wkd';
import {
  atSystemDate,
  makeMailbox,
  makeOpenpgpKey,
  makeRacine,
  makeTenant,
  TEST_PASSWORD,
} from '../support/factories';
import { corpus } from '../encryption/mime-corpus';
import { useTestApp } from '../support/app';
import { armoredPart, withGpg } from '../support/openpgp';
import { verifyPassword } from '../../src/auth/password-hash';

describe('mailbox keys API', () => {
  const mails: Array<{ to: string[]; subject: string; text: string }> = [];
  const app = useTestApp({
    setup: async (ctx) => {
      ctx.notifier = { send: async (m) => void mails.push(m) };
    },
  });
  let tenant: Awaited<ReturnType<typeof makeTenant>>;

  async function generatedMailbox(localPart: string) {
    const m = await makeMailbox(app.ctx, {
      domainId: tenant.domain.id,
      localPart,
      encryptionMode: 'generated',
    });
    const { recoveryCode } = await provisionMailboxKeys(app.ctx, m, TEST_PASSWORD);
    return { ...m, recoveryCode, owner: (await loadMailboxActor(app.ctx, m.id)) as Actor };
  }

  const auditActions = async (targetId: string) =>
    (await app.ctx.db('audit_log').where({ target_id: targetId }).orderBy('id')).map((r) => r.action);

  beforeAll(async () => {
    tenant = await makeTenant(app.ctx);
  });

  describe('GET /api/v1/mailboxes/:address/keys', () => {
    it('shows public keys, fingerprints and states, never private material', async () => {
      const m = await generatedMailbox('reader');
      const res = await app.client.request('GET', `/api/v1/mailboxes/${m.address}/keys`, {
        as: tenant.actors.admin,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ encryptionMode: 'generated', wkd: true, protectedSubject: false });
      expect(res.body.keys).toEqual([
        expect.objectContaining({
          state: 'active',
          source: 'generated',
          fingerprint: expect.stringMatching(/^[0-9a-f]{40}$/),
        }),
      ]);
      expect(res.text).not.toMatch(/PRIVATE KEY|privateKey|salt/);
    });

    it('answers 404 to another collective', async () => {
      const m = await generatedMailbox('hidden');
      const other = await makeTenant(app.ctx);
      const res = await app.client.request('GET', `/api/v1/mailboxes/${m.address}/keys`, {
        as: other.actors.admin,
      });
      expect(res.status).toBe(404);
    });
  });

  describe('GET /api/v1/mailboxes/:address/keys/private', () => {
    it('is for the owner only, not the admin', async () => {
      const m = await generatedMailbox('secretive');
      const admin = await app.client.request('GET', `/api/v1/mailboxes/${m.address}/keys/private`, {
        as: tenant.actors.admin,
      });
      expect(admin.status).toBe(403);
      const owner = await app.client.request('GET', `/api/v1/mailboxes/${m.address}/keys/private`, {
        as: m.owner,
      });
      expect(owner.status).toBe(200);
      expect(owner.body.keys[0]).toMatchObject({
        privateKey: expect.stringContaining('BEGIN PGP PRIVATE KEY BLOCK'),
        passphrase: { algorithm: 'argon2id', encoding: 'hex', hashLength: 32 },
      });
    });

    it('exports a key GnuPG imports, unlocks with the derived passphrase and decrypts the gateway’s output with', async () => {
      const m = await generatedMailbox('gpguser');
      const res = await app.client.request('GET', `/api/v1/mailboxes/${m.address}/keys/private`, {
        as: m.owner,
      });
      const { privateKey, passphrase } = res.body.keys[0] as { privateKey: string; passphrase: KdfParams };
      const publicKey = await openpgp.readKey({
        armoredKey: (await app.ctx.db('mailbox_keys').where({ mailbox_id: m.id }).first()).public_key,
      });
      const raw = corpus.find(([n]) => n === '8bit body')![1];
      const stored = (await encryptMessage(raw, [publicKey]))!;
      const armored = armoredPart(stored);

      await withGpg(async (gpg, home) => {
        const pass = path.join(home, 'pass');
        fs.writeFileSync(pass, await derivePassphrase(TEST_PASSWORD, passphrase), { mode: 0o600 });
        gpg(['--passphrase-file', pass, '--import'], privateKey);
        const decrypted = gpg(['--passphrase-file', pass, '--decrypt'], armored);
        expect(splitMessage(decrypted).body.equals(splitMessage(raw).body)).toBe(true);
        // The password alone is not the passphrase.
        fs.writeFileSync(pass, TEST_PASSWORD);
        await withGpg((fresh) =>
          expect(
            () =>
              fresh(['--passphrase-file', pass, '--import'], privateKey) &&
              fresh(['--passphrase-file', pass, '--decrypt'], armored),
          ).toThrow(),
        );
      });
    });
  });

  describe('POST /api/v1/mailboxes/:address/keys/rotate', () => {
    it('makes a new active key, keeps the old one retired, returns a new recovery code, audited', async () => {
      const m = await generatedMailbox('rotator');
      const wrong = await app.client.request('POST', `/api/v1/mailboxes/${m.address}/keys/rotate`, {
        as: m.owner,
        body: { password: 'not the password' },
      });
      expect(wrong.status).toBe(401);
      const res = await app.client.request('POST', `/api/v1/mailboxes/${m.address}/keys/rotate`, {
        as: m.owner,
        body: { password: TEST_PASSWORD },
      });
      expect(res.status).toBe(201);
      expect(res.body.recoveryCode).toMatch(/^(\w{4}-){7}\w{4}$/);
      const keys = await app.client.request('GET', `/api/v1/mailboxes/${m.address}/keys`, { as: m.owner });
      expect(keys.body.keys.map((k: { state: string }) => k.state)).toEqual(['retired', 'active']);
      expect(await auditActions(m.id)).toEqual(['mailbox.keys.rotate']);
    });

    it('never gives a racine the wrapped private keys: only the owner reads them', async () => {
      const m = await generatedMailbox('privee');
      const { actor: racine } = await makeRacine(app.ctx);
      const res = await app.client.request('GET', `/api/v1/mailboxes/${m.address}/keys/private`, {
        as: racine,
      });
      expect(res.status).toBe(403);
      expect(res.text).not.toMatch(/PRIVATE KEY/);
    });

    it('is refused to an admin (only the owner holds the password)', async () => {
      const m = await generatedMailbox('notyours');
      const res = await app.client.request('POST', `/api/v1/mailboxes/${m.address}/keys/rotate`, {
        as: tenant.actors.admin,
        body: { password: TEST_PASSWORD },
      });
      expect(res.status).toBe(403);
    });
  });

  describe('POST /api/v1/mailboxes/:address/keys/recover', () => {
    it('sets a new password with the recovery code, without logging in, and spends the code', async () => {
      const m = await generatedMailbox('forgetful');
      const newPassword = 'a brand new long passphrase';
      const res = await app.client.request('POST', `/api/v1/mailboxes/${m.address}/keys/recover`, {
        body: { recoveryCode: m.recoveryCode, newPassword },
      });
      expect(res.status).toBe(200);
      expect(res.body.recovered).toHaveLength(1);
      expect(res.body.recoveryCode).not.toBe(m.recoveryCode);
      const { password_hash } = await app.ctx.db('mailboxes').where({ id: m.id }).first('password_hash');
      expect(await verifyPassword(password_hash, newPassword)).toBe(true);
      const again = await app.client.request('POST', `/api/v1/mailboxes/${m.address}/keys/recover`, {
        body: { recoveryCode: m.recoveryCode, newPassword },
      });
      expect(again.status).toBe(403);
      expect(await auditActions(m.id)).toEqual(['mailbox.keys.recover']);
    });

    it('audits a recovery as the recovery code, not the owner, and tells the owner by mail', async () => {
      const m = await generatedMailbox('told');
      const res = await app.client.request('POST', `/api/v1/mailboxes/${m.address}/keys/recover`, {
        body: { recoveryCode: m.recoveryCode, newPassword: 'a brand new long passphrase' },
      });
      expect(res.status).toBe(200);
      const audit = await app.ctx
        .db('audit_log')
        .where({ target_id: m.id, action: 'mailbox.keys.recover' })
        .first();
      expect(audit).toMatchObject({
        actor_type: 'recovery',
        actor_id: null,
        actor_label: `recovery-code:${m.address}`,
      });
      expect(audit.details).toMatchObject({ authenticated: false });
      const notice = mails.find((mail) => mail.to.includes(m.address));
      expect(notice?.subject).toMatch(/code de secours/);
      expect(notice?.text).toMatch(/If this was not you/);
    });

    it('answers an unknown address exactly as a wrong code, so addresses cannot be enumerated', async () => {
      const m = await generatedMailbox('enumerated');
      const clear = await generatedMailbox('sans-cle');
      await app.ctx.db('mailbox_keys').where({ mailbox_id: clear.id }).delete();
      const code = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789';
      const ask = (address: string) =>
        app.client.request('POST', `/api/v1/mailboxes/${address}/keys/recover`, {
          body: { recoveryCode: code, newPassword: 'a brand new long passphrase' },
        });
      const answers = await Promise.all(
        [m.address, clear.address, `personne@${tenant.domain.name}`, 'personne@inexistant.example'].map(ask),
      );
      expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403]);
      expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    });

    it('refuses a malformed code with a clear error', async () => {
      const m = await generatedMailbox('typo');
      const res = await app.client.request('POST', `/api/v1/mailboxes/${m.address}/keys/recover`, {
        body: { recoveryCode: 'ABCD', newPassword: 'a brand new long passphrase' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('recovery_code_malformed');
    });
  });

  describe('PUT /api/v1/mailboxes/:address/keys/public', () => {
    const upload = (address: string, as: Actor, publicKey: string) =>
      app.client.request('PUT', `/api/v1/mailboxes/${address}/keys/public`, { as, body: { publicKey } });

    // The suite must pass whatever day it runs: keys are made at the test clock's date, and the
    // second case pretends the suite runs years after that date (the 2026-11-22 time bomb).
    it.each([
      ['a classic v4 cv25519 key', false, undefined],
      ['an RFC 9580 v6 key', true, undefined],
      ['a classic v4 cv25519 key when the suite runs years after the test clock', false, '2031-06-01'],
    ])('accepts %s and switches to mode public-key', async (_n, v6, systemDate) => {
      const m = await generatedMailbox(`byok${v6 ? 6 : 4}${systemDate ? 'later' : ''}`);
      const make = () => makeOpenpgpKey(app.ctx.now(), { email: m.address, v6 });
      const { publicKey } = systemDate ? await atSystemDate(new Date(systemDate), make) : await make();
      const res = await upload(m.address, m.owner, publicKey);
      expect(res.status).toBe(200);
      expect(res.body.encryptionMode).toBe('public-key');
      const keys = await app.ctx.db('mailbox_keys').where({ mailbox_id: m.id }).orderBy('created_at');
      expect(keys.map((k) => [k.source, k.state])).toEqual([
        ['generated', 'retired'],
        ['uploaded', 'active'],
      ]);
      expect(keys[1].private_key).toBeNull();
      expect(await auditActions(m.id)).toEqual(['mailbox.keys.upload']);
    });

    it('refuses a private key, an expired key and garbage, changing nothing', async () => {
      const m = await generatedMailbox('careful');
      const { privateKey } = await makeOpenpgpKey(app.ctx.now(), { email: m.address });
      const expired = await makeOpenpgpKey(new Date(app.ctx.now().getTime() - 3600_000), {
        email: m.address,
        expiresInSeconds: 60,
      });
      expect((await upload(m.address, m.owner, privateKey)).body.error.code).toBe('public_key_is_private');
      expect((await upload(m.address, m.owner, expired.publicKey)).body.error.code).toBe(
        'public_key_invalid',
      );
      expect((await upload(m.address, m.owner, 'hello')).body.error.code).toBe('public_key_unreadable');
      const someoneElse = await makeOpenpgpKey(app.ctx.now(), { email: `autre@${tenant.domain.name}` });
      expect((await upload(m.address, m.owner, someoneElse.publicKey)).body.error.code).toBe(
        'public_key_wrong_address',
      );
      const signOnly = await openpgp.generateKey({
        type: 'ecc',
        curve: 'curve25519Legacy',
        userIDs: [{ email: m.address }],
        subkeys: [{ sign: true }],
        date: app.ctx.now(),
      });
      expect((await upload(m.address, m.owner, signOnly.publicKey)).body.error.code).toBe(
        'public_key_cannot_encrypt',
      );
      const keys = await app.ctx.db('mailbox_keys').where({ mailbox_id: m.id });
      expect(keys.map((k) => k.state)).toEqual(['active']);
      expect(await auditActions(m.id)).toEqual([]);
    });

    it('lets only the owner choose the key, or a racine, who is told to the owner', async () => {
      const m = await generatedMailbox('mykey');
      const { publicKey } = await makeOpenpgpKey(app.ctx.now(), { email: m.address });
      expect((await upload(m.address, tenant.actors.admin, publicKey)).status).toBe(403);
      const { actor: racine } = await makeRacine(app.ctx);
      expect((await upload(m.address, racine, publicKey)).status).toBe(200);
      expect(mails.find((mail) => mail.to.includes(m.address))?.subject).toMatch(/new encryption key/);
    });
  });

  describe('PUT /api/v1/mailboxes/:address/keys/mode', () => {
    const permissive = useTestApp({
      config: (defaults) => ({ encryption: { ...defaults.encryption, allowUnencrypted: true } }),
      setup: async (ctx) => {
        ctx.notifier = { send: async (m) => void mails.push(m) };
      },
    });
    const setMode = (client: typeof app.client, address: string, as: Actor, body: object) =>
      client.request('PUT', `/api/v1/mailboxes/${address}/keys/mode`, { as, body });

    it('refuses mode none by default, even to a racine', async () => {
      const m = await generatedMailbox('clearly');
      const { actor: racine } = await makeRacine(app.ctx);
      expect((await setMode(app.client, m.address, racine, { mode: 'none' })).status).toBe(403);
      expect(
        (await setMode(app.client, m.address, m.owner, { mode: 'none', password: TEST_PASSWORD })).status,
      ).toBe(403);
    });

    it('where allowed, lets only the owner with her password, or a racine told to the owner, turn encryption off', async () => {
      const t = await makeTenant(permissive.ctx);
      const m = await makeMailbox(permissive.ctx, { domainId: t.domain.id, encryptionMode: 'generated' });
      const owner = (await loadMailboxActor(permissive.ctx, m.id)) as Actor;
      const token = { type: 'token' as const, id: 'x', name: 'script', collectiveId: t.collective.id };
      for (const as of [t.actors.admin, token]) {
        expect((await setMode(permissive.client, m.address, as, { mode: 'none' })).status).toBe(403);
      }
      expect((await setMode(permissive.client, m.address, owner, { mode: 'none' })).body.error.code).toBe(
        'password_required',
      );
      expect(
        (await setMode(permissive.client, m.address, owner, { mode: 'none', password: 'wrong one' })).status,
      ).toBe(401);
      const ok = await setMode(permissive.client, m.address, owner, {
        mode: 'none',
        password: TEST_PASSWORD,
      });
      expect(ok.status).toBe(200);

      const other = await makeMailbox(permissive.ctx, { domainId: t.domain.id, encryptionMode: 'generated' });
      const { actor: racine } = await makeRacine(permissive.ctx);
      expect((await setMode(permissive.client, other.address, racine, { mode: 'none' })).status).toBe(200);
      const audit = await permissive.ctx
        .db('audit_log')
        .where({ target_id: other.id, action: 'mailbox.keys.mode' })
        .first();
      expect(audit.actor_type).toBe('account');
      expect(mails.find((mail) => mail.to.includes(other.address))?.subject).toMatch(/encryption turned off/);
      expect(mails.some((mail) => mail.to.includes(m.address))).toBe(false);
    });
  });

  describe('Web Key Directory', () => {
    it('computes the draft’s z-base-32 hash (test vector of draft-koch §3.1)', () => {
      expect(wkdHash('Joe.Doe')).toBe('iy9q119eutrkn8s1mk4r39qejnbu3n5q');
      expect(zBase32(Buffer.from([0xf0]))).toBe('6y');
    });

    it('serves the binary key by the direct and advanced methods, and the policy files', async () => {
      const m = await generatedMailbox('published');
      const hash = wkdHash('published');
      // The direct method is asked of the mail domain itself: the Host header names it.
      const direct = await new Promise<{ status: number; type: string; body: Buffer }>((resolve, reject) => {
        http
          .get(
            `${app.client.url}/.well-known/openpgpkey/hu/${hash}?l=published`,
            { headers: { host: tenant.domain.name } },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () =>
                resolve({
                  status: res.statusCode!,
                  type: String(res.headers['content-type']),
                  body: Buffer.concat(chunks),
                }),
              );
            },
          )
          .on('error', reject);
      });
      expect(direct.status).toBe(200);
      expect(direct.type).toMatch(/application\/octet-stream/);
      const key = await openpgp.readKey({ binaryKey: new Uint8Array(direct.body) });
      expect(key.users[0].userID?.email).toBe(m.address);
      const advanced = await app.client.request(
        'GET',
        `/.well-known/openpgpkey/${tenant.domain.name}/hu/${hash}`,
      );
      expect(advanced.status).toBe(200);
      expect(
        (await app.client.request('GET', `/.well-known/openpgpkey/${tenant.domain.name}/policy`)).status,
      ).toBe(200);
      expect((await app.client.request('GET', '/.well-known/openpgpkey/unknown.example/policy')).status).toBe(
        404,
      );
    });

    it('does not publish a mailbox that opted out, nor an unknown local part', async () => {
      await generatedMailbox('private');
      const m = await generatedMailbox('optout');
      const off = await app.client.request('PATCH', `/api/v1/mailboxes/${m.address}/keys/settings`, {
        as: m.owner,
        body: { wkd: false },
      });
      expect(off.body).toEqual({ wkd: false, protectedSubject: false });
      for (const local of ['optout', 'nobody']) {
        const res = await app.client.request(
          'GET',
          `/.well-known/openpgpkey/${tenant.domain.name}/hu/${wkdHash(local)}`,
        );
        expect(res.status).toBe(404);
      }
    });
  });

  it('lets a racine read any mailbox’s keys', async () => {
    const m = await generatedMailbox('racinecheck');
    const { actor } = await makeRacine(app.ctx);
    const res = await app.client.request('GET', `/api/v1/mailboxes/${m.address}/keys`, { as: actor });
    expect(res.status).toBe(200);
  });
});
