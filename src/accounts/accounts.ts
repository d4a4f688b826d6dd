import type { Actor } from '../auth/actor';
import { hashPassword, verifyPassword } from '../auth/password-hash';
import { assertPasswordPolicy } from '../auth/password-policy';
import { revokeSessionsOf } from '../auth/sessions';
import { newTotpSecret, totpUri, unwrapTotpSecret, wrapTotpSecret, checkTotp } from '../auth/totp';
import { recordAudit } from '../audit/record-audit';
import type { AppContext } from '../context';
import type { Db } from '../db/knex';
import type { Keyring } from '../encryption/master-key';
import { errors } from '../errors';
import { oneTimePassword } from './one-time-password';

export interface AccountRow {
  id: string;
  email: string;
  is_racine: boolean;
  must_change_password: boolean;
  totp_enabled: boolean;
  created_at: Date;
}

const COLUMNS = ['id', 'email', 'is_racine', 'must_change_password', 'totp_enabled', 'created_at'];

export function presentAccount(a: AccountRow) {
  return {
    id: a.id,
    email: a.email,
    racine: a.is_racine,
    mustChangePassword: a.must_change_password,
    totpEnabled: a.totp_enabled,
    createdAt: a.created_at,
  };
}

/** Creates a console account with a one-time password that must be changed at first login. */
export async function createAccount(
  db: Db,
  actor: Actor,
  input: { email: string; racine?: boolean },
): Promise<{ account: AccountRow; oneTimePassword: string }> {
  const password = oneTimePassword();
  const [account] = await db('accounts')
    .insert({
      email: input.email,
      password_hash: await hashPassword(password),
      is_racine: input.racine ?? false,
      must_change_password: true,
    })
    .returning(COLUMNS);
  await recordAudit(db, actor, {
    action: 'account.create',
    targetType: 'account',
    targetId: account.id,
    details: { email: account.email, racine: account.is_racine },
  });
  return { account, oneTimePassword: password };
}

export async function findAccountByEmail(db: Db, email: string): Promise<AccountRow | undefined> {
  return db('accounts').where({ email }).first(COLUMNS);
}

export async function getAccount(db: Db, id: string): Promise<AccountRow | undefined> {
  return db('accounts').where({ id }).first(COLUMNS);
}

/** The owner changes their own password (current one required); other sessions are closed. */
export async function changeAccountPassword(
  ctx: AppContext,
  db: Db,
  actor: Actor & { type: 'account' },
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  const row = await db('accounts').where({ id: actor.id }).forUpdate().first('password_hash', 'email');
  if (!row || !(await verifyPassword(row.password_hash, input.currentPassword))) {
    throw errors.invalidCredentials(undefined, {
      fr: 'Le mot de passe actuel est incorrect.',
      en: 'The current password is wrong.',
    });
  }
  assertPasswordPolicy(input.newPassword, { login: row.email });
  await db('accounts')
    .where({ id: actor.id })
    .update({
      password_hash: await hashPassword(input.newPassword),
      must_change_password: false,
      updated_at: ctx.now(),
    });
  await revokeSessionsOf(db, { accountId: actor.id }, ctx.now(), actor.sessionId);
  await recordAudit(db, actor, {
    action: 'account.password.change',
    targetType: 'account',
    targetId: actor.id,
  });
}

/** Starts TOTP enrolment: stores a new secret (not yet enabled) and returns it once. */
export async function beginTotp(ctx: AppContext, db: Db, actor: Actor & { type: 'account' }) {
  const current = await db('accounts').where({ id: actor.id }).first('totp_enabled');
  if (current?.totp_enabled) {
    throw errors.conflict('totp_already_enabled', {
      fr: 'La double authentification est déjà active.',
      en: 'Two-factor authentication is already enabled.',
    });
  }
  const secret = newTotpSecret();
  await db('accounts')
    .where({ id: actor.id })
    .update({ totp_secret: wrapTotpSecret(ctx.keyring, actor.id, secret), updated_at: ctx.now() });
  return { secret, uri: totpUri(secret, actor.email) };
}

async function assertTotpCode(
  keyring: Keyring,
  db: Db,
  accountId: string,
  code: string,
  now: Date,
): Promise<void> {
  const row = await db('accounts').where({ id: accountId }).first('totp_secret');
  if (!row?.totp_secret) {
    throw errors.conflict('totp_not_started', {
      fr: 'Commencez par demander un nouveau secret.',
      en: 'Start by requesting a new secret.',
    });
  }
  if (!checkTotp(unwrapTotpSecret(keyring, accountId, row.totp_secret), code, now)) {
    throw errors.badRequest('invalid_totp', { fr: 'Code incorrect.', en: 'Wrong code.' });
  }
}

export async function confirmTotp(ctx: AppContext, db: Db, actor: Actor & { type: 'account' }, code: string) {
  await assertTotpCode(ctx.keyring, db, actor.id, code, ctx.now());
  await db('accounts').where({ id: actor.id }).update({ totp_enabled: true, updated_at: ctx.now() });
  await recordAudit(db, actor, { action: 'account.totp.enable', targetType: 'account', targetId: actor.id });
}

export async function disableOwnTotp(
  ctx: AppContext,
  db: Db,
  actor: Actor & { type: 'account' },
  code: string,
) {
  await assertTotpCode(ctx.keyring, db, actor.id, code, ctx.now());
  await db('accounts')
    .where({ id: actor.id })
    .update({ totp_enabled: false, totp_secret: null, updated_at: ctx.now() });
  await recordAudit(db, actor, { action: 'account.totp.disable', targetType: 'account', targetId: actor.id });
}

/** A racine resets someone's TOTP (lost phone); that person's sessions are closed. */
export async function resetTotp(ctx: AppContext, db: Db, actor: Actor, accountId: string) {
  const updated = await db('accounts')
    .where({ id: accountId })
    .update({ totp_enabled: false, totp_secret: null, updated_at: ctx.now() });
  if (!updated) throw errors.notFound();
  await revokeSessionsOf(db, { accountId }, ctx.now());
  await recordAudit(db, actor, { action: 'account.totp.reset', targetType: 'account', targetId: accountId });
}
