import * as openpgp from 'openpgp';
import type { ServiceContext } from '../context';
import { errors } from '../errors';
import {
  derivePassphrase,
  KdfParams,
  newKdfParams,
  newRecoveryCode,
  normalizeRecoveryCode,
} from './passphrase';

/**
 * Mailbox OpenPGP keys, the one module that writes `mailbox_keys` (docs/architecture.md,
 * "Encryption"). Invariant: every generated key that is not `locked` opens with the mailbox's
 * current password and with its current recovery code. A password change re-wraps keys (never
 * mail); an admin reset cannot, so it locks the old keys (readable again only with the old
 * password's recovery code) and makes a new one. The mailbox's own columns (password hash,
 * encryption mode) are written by the mailbox commands that call these functions, in the same
 * transaction.
 */
export type KeyState = 'active' | 'retired' | 'locked';

export interface MailboxKeyRow {
  id: string;
  mailbox_id: string;
  fingerprint: string;
  source: 'generated' | 'uploaded';
  public_key: string;
  private_key: string | null;
  password_kdf: KdfParams | null;
  recovery_private_key: string | null;
  recovery_kdf: KdfParams | null;
  state: KeyState;
  expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
  retired_at: Date | null;
}

export interface MailboxRef {
  id: string;
  address: string;
}

const passwordMismatch = () =>
  errors.forbidden(undefined, {
    fr: 'Le mot de passe actuel ne déverrouille pas les clés de chiffrement de la boîte.',
    en: 'The current password does not unlock the mailbox’s encryption keys.',
  });

// The classic v4 EdDSA/ECDH cv25519 form: GnuPG 2.2 and Thunderbird cannot use the RFC 9580
// keys (Ed25519/X25519) that openpgp.js makes for `type: 'curve25519'`. Dated by the injected
// clock, like everything else, so a key is never younger than the moment that checks it.
async function generatePrivateKey(address: string, date: Date): Promise<openpgp.PrivateKey> {
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ email: address }],
    date,
    format: 'object',
  });
  return privateKey;
}

/** The two protected copies of a decrypted private key: by password, by recovery code. */
async function protectedCopies(
  key: openpgp.PrivateKey,
  password: { passphrase: string; kdf: KdfParams },
  recovery: { passphrase: string; kdf: KdfParams },
) {
  const [byPassword, byRecovery] = await Promise.all([
    openpgp.encryptKey({ privateKey: key, passphrase: password.passphrase }),
    openpgp.encryptKey({ privateKey: key, passphrase: recovery.passphrase }),
  ]);
  return {
    private_key: byPassword.armor(),
    password_kdf: JSON.stringify(password.kdf),
    recovery_private_key: byRecovery.armor(),
    recovery_kdf: JSON.stringify(recovery.kdf),
  };
}

async function newSecret(secret: string): Promise<{ passphrase: string; kdf: KdfParams }> {
  const kdf = newKdfParams();
  return { passphrase: await derivePassphrase(secret, kdf), kdf };
}

/** New protections for a key's two copies: by this password, by this recovery code. */
function newSecrets(password: string, recoveryCode: string) {
  return Promise.all([newSecret(password), newSecret(normalizeRecoveryCode(recoveryCode))]);
}

/** Derives each distinct salt once: keys wrapped in one operation share their parameters. */
function passphraseCache(secret: string) {
  const cache = new Map<string, Promise<string>>();
  return (kdf: KdfParams) => {
    const key = JSON.stringify(kdf);
    let p = cache.get(key);
    if (!p) cache.set(key, (p = derivePassphrase(secret, kdf)));
    return p;
  };
}

async function tryDecrypt(armored: string, passphrase: string): Promise<openpgp.PrivateKey | undefined> {
  const privateKey = await openpgp.readPrivateKey({ armoredKey: armored });
  try {
    return await openpgp.decryptKey({ privateKey, passphrase });
  } catch {
    return undefined;
  }
}

/** Serializes key changes of one mailbox until the caller's transaction ends. */
async function lockMailbox(ctx: ServiceContext, mailboxId: string): Promise<void> {
  const row = await ctx.db('mailboxes').where({ id: mailboxId }).forUpdate().first('id');
  if (!row) throw errors.notFound();
}

async function unlockedRows(ctx: ServiceContext, mailboxId: string): Promise<MailboxKeyRow[]> {
  return ctx
    .db('mailbox_keys')
    .where({ mailbox_id: mailboxId, source: 'generated' })
    .whereNot({ state: 'locked' })
    .orderBy('created_at');
}

/** Opens every non-locked generated key with the password; throws 403 if one does not open. */
async function unlockWithPassword(
  rows: MailboxKeyRow[],
  password: string,
): Promise<Map<string, openpgp.PrivateKey>> {
  const derive = passphraseCache(password);
  const out = new Map<string, openpgp.PrivateKey>();
  for (const row of rows) {
    const key = await tryDecrypt(row.private_key!, await derive(row.password_kdf!));
    if (!key) throw passwordMismatch();
    out.set(row.id, key);
  }
  return out;
}

async function insertGeneratedKey(
  ctx: ServiceContext,
  mailbox: MailboxRef,
  password: { passphrase: string; kdf: KdfParams },
  recovery: { passphrase: string; kdf: KdfParams },
): Promise<string> {
  const key = await generatePrivateKey(mailbox.address, ctx.now());
  const fingerprint = key.getFingerprint();
  await ctx.db('mailbox_keys').insert({
    mailbox_id: mailbox.id,
    fingerprint,
    source: 'generated',
    public_key: key.toPublic().armor(),
    ...(await protectedCopies(key, password, recovery)),
    state: 'active',
  });
  return fingerprint;
}

/** Re-wraps the given decrypted keys with a new password and recovery code. */
async function rewrapAll(
  ctx: ServiceContext,
  keys: Map<string, openpgp.PrivateKey>,
  password: { passphrase: string; kdf: KdfParams },
  recovery: { passphrase: string; kdf: KdfParams },
  states: Map<string, KeyState> = new Map(),
): Promise<void> {
  for (const [id, key] of keys) {
    await ctx
      .db('mailbox_keys')
      .where({ id })
      .update({
        ...(await protectedCopies(key, password, recovery)),
        ...(states.has(id) ? { state: states.get(id) } : {}),
        updated_at: ctx.now(),
      });
  }
}

/** Active keys of the given source (any, by default) become retired, kept for old mail. */
async function retireActive(ctx: ServiceContext, mailboxId: string, source?: MailboxKeyRow['source']) {
  const now = ctx.now();
  await ctx
    .db('mailbox_keys')
    .where({ mailbox_id: mailboxId, state: 'active', ...(source ? { source } : {}) })
    .update({ state: 'retired', retired_at: now, updated_at: now });
}

/**
 * A new mailbox in mode `generated`: one active key, wrapped by the password and by a new
 * recovery code, which is returned to be shown once and never stored.
 */
export async function provisionMailboxKeys(
  ctx: ServiceContext,
  mailbox: MailboxRef,
  password: string,
): Promise<{ recoveryCode: string; fingerprint: string }> {
  const recoveryCode = newRecoveryCode();
  const [pw, rc] = await newSecrets(password, recoveryCode);
  await lockMailbox(ctx, mailbox.id);
  const fingerprint = await insertGeneratedKey(ctx, mailbox, pw, rc);
  return { recoveryCode, fingerprint };
}

/**
 * Password change by the owner: every key the current password opens is re-wrapped with the
 * new one; no mail is re-encrypted. The recovery copies stay as they are.
 */
export async function rewrapMailboxKeys(
  ctx: ServiceContext,
  mailboxId: string,
  currentPassword: string,
  newPassword: string,
): Promise<void> {
  await lockMailbox(ctx, mailboxId);
  const rows = await unlockedRows(ctx, mailboxId);
  if (rows.length === 0) return;
  const keys = await unlockWithPassword(rows, currentPassword);
  const pw = await newSecret(newPassword);
  for (const row of rows) {
    const encrypted = await openpgp.encryptKey({
      privateKey: keys.get(row.id)!,
      passphrase: pw.passphrase,
    });
    await ctx
      .db('mailbox_keys')
      .where({ id: row.id })
      .update({
        private_key: encrypted.armor(),
        password_kdf: JSON.stringify(pw.kdf),
        updated_at: ctx.now(),
      });
  }
}

/**
 * Admin reset (no current password): the old keys cannot be opened, so they are kept and
 * marked `locked` (the old recovery code still opens them), and a new key takes new mail; the
 * caller puts the mailbox in mode `generated`. The new key's recovery copy is wrapped by a code
 * nobody is shown: a code the admin saw would let the admin take the mailbox back at any time,
 * so the owner gets a fresh one when choosing a password (renewMailboxKeyProtection).
 */
export async function resetMailboxKeys(
  ctx: ServiceContext,
  mailbox: MailboxRef,
  newPassword: string,
): Promise<{ fingerprint: string; lockedKeys: number }> {
  const [pw, rc] = await newSecrets(newPassword, newRecoveryCode());
  await lockMailbox(ctx, mailbox.id);
  const now = ctx.now();
  const lockedKeys = await ctx
    .db('mailbox_keys')
    .where({ mailbox_id: mailbox.id, source: 'generated' })
    .whereNot({ state: 'locked' })
    .update({ state: 'locked', retired_at: now, updated_at: now });
  await retireActive(ctx, mailbox.id, 'uploaded');
  const fingerprint = await insertGeneratedKey(ctx, mailbox, pw, rc);
  return { fingerprint, lockedKeys: Number(lockedKeys) };
}

/**
 * The owner chooses a password after an admin's reset: every key the admin's password opens is
 * re-wrapped with the new password and a new recovery code, returned once to the owner; any
 * code seen before opens none of them any more. Null when the mailbox has no such key.
 */
export async function renewMailboxKeyProtection(
  ctx: ServiceContext,
  mailboxId: string,
  currentPassword: string,
  newPassword: string,
): Promise<{ recoveryCode: string | null }> {
  await lockMailbox(ctx, mailboxId);
  const rows = await unlockedRows(ctx, mailboxId);
  if (rows.length === 0) return { recoveryCode: null };
  const keys = await unlockWithPassword(rows, currentPassword);
  const recoveryCode = newRecoveryCode();
  const [pw, rc] = await newSecrets(newPassword, recoveryCode);
  await rewrapAll(ctx, keys, pw, rc);
  return { recoveryCode };
}

/**
 * The one answer to a recovery code that opens nothing, whether the mailbox exists or not, so
 * the unauthenticated recovery tells strangers nothing about which addresses exist.
 */
export const recoveryRefused = () =>
  errors.forbidden(undefined, {
    fr: 'Ce code de secours n’ouvre aucune clé à cette adresse.',
    en: 'This recovery code opens no key at this address.',
  });

/** The cost of trying a recovery code (one argon2id derivation), spent where there is nothing to try. */
export async function spendDecoyRecovery(recoveryCode: string): Promise<void> {
  await derivePassphrase(normalizeRecoveryCode(recoveryCode), newKdfParams());
}

/**
 * The owner forgot the password: the recovery code opens the keys it protects (locked ones
 * included, which become readable again as `retired`); keys it does not protect (the key made
 * by an admin reset) need the current password. Everything is re-wrapped with the new password
 * and a new recovery code (a used code is spent); the caller sets the mailbox password.
 */
export async function recoverMailboxKeys(
  ctx: ServiceContext,
  mailboxId: string,
  input: { recoveryCode: string; newPassword: string; currentPassword?: string },
): Promise<{ recoveryCode: string; recovered: string[] }> {
  const code = normalizeRecoveryCode(input.recoveryCode);
  const newCode = newRecoveryCode();
  await lockMailbox(ctx, mailboxId);
  const rows: MailboxKeyRow[] = await ctx
    .db('mailbox_keys')
    .where({ mailbox_id: mailboxId, source: 'generated' })
    .orderBy('created_at');
  const derive = passphraseCache(code);
  const keys = new Map<string, openpgp.PrivateKey>();
  const states = new Map<string, KeyState>();
  const recovered: string[] = [];
  for (const row of rows) {
    const key = await tryDecrypt(row.recovery_private_key!, await derive(row.recovery_kdf!));
    if (!key) continue;
    keys.set(row.id, key);
    recovered.push(row.fingerprint);
    if (row.state === 'locked') states.set(row.id, 'retired');
  }
  if (keys.size === 0) {
    // A mailbox without generated keys costs the derivation too: the answer's timing is the same.
    if (rows.length === 0) await spendDecoyRecovery(code);
    throw recoveryRefused();
  }
  const others = rows.filter((r) => !keys.has(r.id) && r.state !== 'locked');
  if (others.length > 0) {
    if (!input.currentPassword) {
      throw errors.badRequest('current_password_required', {
        fr: 'Ce code de secours n’ouvre pas la clé créée lors de la dernière réinitialisation : indiquez aussi le mot de passe actuel.',
        en: 'This recovery code does not open the key made by the last reset: give the current password too.',
      });
    }
    for (const [id, key] of await unlockWithPassword(others, input.currentPassword)) keys.set(id, key);
  }
  const [pw, rc] = await newSecrets(input.newPassword, newCode);
  await rewrapAll(ctx, keys, pw, rc, states);
  return { recoveryCode: newCode, recovered };
}

/**
 * A new active key for new mail; the previous ones stay (retired) for reading old mail. The
 * password opens them all, so they are re-wrapped with a new recovery code covering all. The
 * caller puts the mailbox in mode `generated`.
 */
export async function rotateMailboxKey(
  ctx: ServiceContext,
  mailbox: MailboxRef,
  password: string,
): Promise<{ recoveryCode: string; fingerprint: string }> {
  const recoveryCode = newRecoveryCode();
  await lockMailbox(ctx, mailbox.id);
  const rows = await unlockedRows(ctx, mailbox.id);
  const keys = await unlockWithPassword(rows, password);
  const [pw, rc] = await newSecrets(password, recoveryCode);
  await rewrapAll(ctx, keys, pw, rc);
  await retireActive(ctx, mailbox.id);
  const fingerprint = await insertGeneratedKey(ctx, mailbox, pw, rc);
  return { recoveryCode, fingerprint };
}

/**
 * Back to mode `generated`: an active generated key is kept; otherwise the active keys (an
 * uploaded one) retire and a new key is made, whose recovery code is returned once.
 */
export async function ensureGeneratedKey(
  ctx: ServiceContext,
  mailbox: MailboxRef,
  password: string,
): Promise<{ recoveryCode: string | null }> {
  const active = await ctx
    .db('mailbox_keys')
    .where({ mailbox_id: mailbox.id, state: 'active', source: 'generated' })
    .first('id');
  if (active) return { recoveryCode: null };
  await retireActive(ctx, mailbox.id);
  return { recoveryCode: (await provisionMailboxKeys(ctx, mailbox, password)).recoveryCode };
}

/**
 * Mode `public-key`: the uploaded key becomes the only active one; earlier keys stay, retired,
 * for reading old mail. A key uploaded before comes back rather than being stored twice.
 */
export async function activateUploadedKey(
  ctx: ServiceContext,
  mailboxId: string,
  key: openpgp.PublicKey,
): Promise<{ fingerprint: string; expiresAt: Date | null }> {
  const now = ctx.now();
  const fingerprint = key.getFingerprint();
  const expiration = await key.getExpirationTime();
  const expiresAt = expiration instanceof Date ? expiration : null;
  await retireActive(ctx, mailboxId);
  await ctx.db.raw(
    `INSERT INTO mailbox_keys (mailbox_id, fingerprint, source, public_key, state, expires_at)
     VALUES (?, ?, 'uploaded', ?, 'active', ?)
     ON CONFLICT ON CONSTRAINT mailbox_keys_fingerprint_unique
     DO UPDATE SET state = 'active', retired_at = NULL, public_key = EXCLUDED.public_key,
                   expires_at = EXCLUDED.expires_at, updated_at = ?
     WHERE mailbox_keys.source = 'uploaded'`,
    [mailboxId, fingerprint, key.armor(), expiresAt, now],
  );
  return { fingerprint, expiresAt };
}

export async function listMailboxKeys(ctx: ServiceContext, mailboxId: string): Promise<MailboxKeyRow[]> {
  return ctx.db('mailbox_keys').where({ mailbox_id: mailboxId }).orderBy('created_at');
}

/** What the API shows of a key: never private material, not even encrypted. */
export function presentKey(row: MailboxKeyRow) {
  return {
    fingerprint: row.fingerprint,
    source: row.source,
    state: row.state,
    publicKey: row.public_key,
    createdAt: row.created_at.toISOString(),
    retiredAt: row.retired_at?.toISOString() ?? null,
    expiresAt: row.expires_at?.toISOString() ?? null,
  };
}

/** For the owner only: the password-encrypted copies and how to derive their passphrase. */
export function presentPrivateKey(row: MailboxKeyRow) {
  return {
    fingerprint: row.fingerprint,
    state: row.state,
    privateKey: row.private_key,
    passphrase: { ...row.password_kdf, encoding: 'hex' },
  };
}
