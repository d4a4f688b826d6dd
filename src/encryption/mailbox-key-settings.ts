import * as openpgp from 'openpgp';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { errors } from '../errors';
import { provisionMailboxKeys, MailboxRef } from './mailbox-keys';
import { diffFields } from '../audit/record-audit';

const badKey = (code: string, fr: string, en: string, details?: unknown) =>
  errors.badRequest(code, { fr, en }, details);

/**
 * Checks an uploaded public key: readable, public only, valid now (not expired, not revoked),
 * with a subkey able to encrypt. Classic v4 and RFC 9580 (v6, X25519) keys are both accepted.
 */
export async function checkPublicKey(armored: string, now: Date): Promise<openpgp.PublicKey> {
  let key: openpgp.Key;
  try {
    key = await openpgp.readKey({ armoredKey: armored });
  } catch {
    throw badKey(
      'public_key_unreadable',
      'Clé publique OpenPGP illisible.',
      'Unreadable OpenPGP public key.',
    );
  }
  if (key.isPrivate()) {
    throw badKey(
      'public_key_is_private',
      'C’est une clé privée : envoyez seulement la clé publique. giroflee ne garde jamais votre clé privée.',
      'This is a private key: send the public key only. giroflee never keeps your private key.',
    );
  }
  try {
    await key.verifyPrimaryKey(now);
  } catch {
    throw badKey(
      'public_key_invalid',
      'Cette clé est expirée, révoquée ou mal signée.',
      'This key is expired, revoked or badly signed.',
    );
  }
  try {
    await key.getEncryptionKey(undefined, now);
  } catch {
    throw badKey(
      'public_key_cannot_encrypt',
      'Cette clé n’a aucune sous-clé de chiffrement valide.',
      'This key has no valid encryption subkey.',
    );
  }
  return key as openpgp.PublicKey;
}

/**
 * Mode `public-key`: the uploaded key becomes the only active one; earlier keys stay, retired,
 * for reading old mail.
 */
export async function setUploadedPublicKey(
  db: Db,
  mailboxId: string,
  armored: string,
  now: Date,
): Promise<{ fingerprint: string; expiresAt: Date | null }> {
  const key = await checkPublicKey(armored, now);
  const fingerprint = key.getFingerprint();
  const expiration = await key.getExpirationTime();
  const expiresAt = expiration instanceof Date ? expiration : null;
  await db('mailbox_keys')
    .where({ mailbox_id: mailboxId, state: 'active' })
    .update({ state: 'retired', retired_at: now, updated_at: now });
  await db.raw(
    `INSERT INTO mailbox_keys (mailbox_id, fingerprint, source, public_key, state, expires_at)
     VALUES (?, ?, 'uploaded', ?, 'active', ?)
     ON CONFLICT ON CONSTRAINT mailbox_keys_fingerprint_unique
     DO UPDATE SET state = 'active', retired_at = NULL, public_key = EXCLUDED.public_key,
                   expires_at = EXCLUDED.expires_at, updated_at = now()
     WHERE mailbox_keys.source = 'uploaded'`,
    [mailboxId, fingerprint, key.armor(), expiresAt],
  );
  await db('mailboxes').where({ id: mailboxId }).update({ encryption_mode: 'public-key', updated_at: now });
  return { fingerprint, expiresAt };
}

/** The racine policy on mode `none` (GIROFLEE_ALLOW_UNENCRYPTED_MAILBOXES); mailbox creation calls it too. */
export function assertEncryptionModeAllowed(config: Config, mode: 'generated' | 'public-key' | 'none'): void {
  if (mode === 'none' && !config.encryption.allowUnencrypted) {
    throw errors.forbidden(undefined, {
      fr: 'La politique de la plateforme impose le chiffrement du courrier stocké.',
      en: 'The platform policy requires stored mail to be encrypted.',
    });
  }
}

/**
 * Mode `none` (stored in clear; a racine policy may forbid it) or back to `generated`, which
 * needs the password: an active generated key is kept, else a new one is made.
 */
export async function setEncryptionMode(
  db: Db,
  config: Config,
  mailbox: MailboxRef,
  mode: 'none' | 'generated',
  password: string | undefined,
  now: Date,
): Promise<{ recoveryCode: string | null }> {
  assertEncryptionModeAllowed(config, mode);
  if (mode === 'none') {
    await db('mailboxes').where({ id: mailbox.id }).update({ encryption_mode: 'none', updated_at: now });
    return { recoveryCode: null };
  }
  if (!password) {
    throw errors.badRequest('password_required', {
      fr: 'Le mot de passe de la boîte est nécessaire pour créer sa clé.',
      en: 'The mailbox password is needed to make its key.',
    });
  }
  const active = await db('mailbox_keys')
    .where({ mailbox_id: mailbox.id, state: 'active', source: 'generated' })
    .first('id');
  let recoveryCode: string | null = null;
  if (!active) {
    await db('mailbox_keys')
      .where({ mailbox_id: mailbox.id, state: 'active' })
      .update({ state: 'retired', retired_at: now, updated_at: now });
    recoveryCode = (await provisionMailboxKeys(db, mailbox, password)).recoveryCode;
  }
  await db('mailboxes').where({ id: mailbox.id }).update({ encryption_mode: 'generated', updated_at: now });
  return { recoveryCode };
}

/** Protected subject and WKD publication; returns the new values and the before/after of what changed. */
export async function updateKeySettings(
  db: Db,
  mailbox: { id: string; protected_subject: boolean; wkd_enabled: boolean },
  input: { protectedSubject?: boolean; wkd?: boolean },
  now: Date,
) {
  const after = {
    protectedSubject: input.protectedSubject ?? mailbox.protected_subject,
    wkd: input.wkd ?? mailbox.wkd_enabled,
  };
  const before = { protectedSubject: mailbox.protected_subject, wkd: mailbox.wkd_enabled };
  await db('mailboxes')
    .where({ id: mailbox.id })
    .update({ protected_subject: after.protectedSubject, wkd_enabled: after.wkd, updated_at: now });
  return { ...after, changes: diffFields(before, after) };
}
