import { hashPassword } from '../auth/password-hash';
import type { AuditEntry } from '../audit/record-audit';
import { authorize } from '../auth/authorize';
import type { CommandContext, ServiceContext } from '../context';
import { decodeCursor, encodeCursor, likeLiteral } from '../db/page-cursor';
import { errors } from '../errors';
import { oneTimePassword } from './one-time-password';

/** Console accounts: the one module that writes the `accounts` table. */
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

/** The audit entry of a new account (never its password). */
export const accountCreated = (account: AccountRow): AuditEntry => ({
  action: 'account.create',
  targetType: 'account',
  targetId: account.id,
  details: { email: account.email, racine: account.is_racine },
});

/** A new console account with a one-time password, to be changed at first login. */
export async function insertAccount(
  ctx: ServiceContext,
  input: { email: string; racine: boolean },
): Promise<{ account: AccountRow; oneTimePassword: string }> {
  const password = oneTimePassword();
  const [account] = await ctx
    .db('accounts')
    .insert({
      email: input.email,
      password_hash: await hashPassword(password),
      is_racine: input.racine,
      must_change_password: true,
    })
    .returning(COLUMNS);
  return { account, oneTimePassword: password };
}

/**
 * A new one-time password for an existing account (a racine's reset), to be changed at the next
 * login; the account, or undefined when there is none by that id.
 */
export async function setAccountOneTimePassword(
  ctx: ServiceContext,
  id: string,
): Promise<{ account: AccountRow; oneTimePassword: string } | undefined> {
  const password = oneTimePassword();
  const [account] = await ctx
    .db('accounts')
    .where({ id })
    .update({
      password_hash: await hashPassword(password),
      must_change_password: true,
      updated_at: ctx.now(),
    })
    .returning(COLUMNS);
  return account ? { account, oneTimePassword: password } : undefined;
}

/**
 * The racines' view of the accounts, by e-mail, a page at a time: the one with this e-mail, or
 * those whose e-mail contains `search`.
 */
export async function listAccountsForActor(
  ctx: CommandContext,
  filter: { email?: string; search?: string; limit?: number; cursor?: string } = {},
): Promise<{ items: AccountRow[]; nextCursor: string | null }> {
  authorize(ctx.actor, 'read', { type: 'platform' });
  const limit = filter.limit ?? 50;
  const q = ctx
    .db('accounts')
    .orderBy('email')
    .limit(limit + 1);
  if (filter.email) q.where({ email: filter.email });
  if (filter.search) q.whereILike('email', `%${likeLiteral(filter.search)}%`);
  if (filter.cursor) q.where('email', '>', decodeCursor(filter.cursor));
  const rows: AccountRow[] = await q.select(COLUMNS);
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items, nextCursor: more ? encodeCursor(items[items.length - 1].email) : null };
}

/** A new console account with the password its owner chose (an accepted invitation). */
export async function insertAccountWithPassword(
  ctx: ServiceContext,
  input: { email: string; password: string },
): Promise<AccountRow> {
  const [account] = await ctx
    .db('accounts')
    .insert({ email: input.email, password_hash: await hashPassword(input.password), is_racine: false })
    .returning(COLUMNS);
  return account;
}

export async function findAccountByEmail(
  ctx: ServiceContext,
  email: string,
): Promise<AccountRow | undefined> {
  return ctx.db('accounts').where({ email }).first(COLUMNS);
}

export async function getAccount(ctx: ServiceContext, id: string): Promise<AccountRow | undefined> {
  return ctx.db('accounts').where({ id }).first(COLUMNS);
}

/** The login secrets of an account, its row locked for the caller's change. */
export async function lockAccountSecrets(
  ctx: ServiceContext,
  id: string,
): Promise<{ email: string; password_hash: string; totp_enabled: boolean; totp_secret: string | null }> {
  const row = await ctx
    .db('accounts')
    .where({ id })
    .forUpdate()
    .first('email', 'password_hash', 'totp_enabled', 'totp_secret');
  if (!row) throw errors.notFound();
  return row;
}

export async function setAccountPassword(ctx: ServiceContext, id: string, password: string): Promise<void> {
  await ctx
    .db('accounts')
    .where({ id })
    .update({
      password_hash: await hashPassword(password),
      must_change_password: false,
      updated_at: ctx.now(),
    });
}

/**
 * Two-factor state: a wrapped secret waiting for confirmation (enabled false), enabled, or
 * neither. Returns whether the account exists.
 */
export async function setAccountTotp(
  ctx: ServiceContext,
  id: string,
  totp: { enabled: boolean; secret?: string | null },
): Promise<boolean> {
  const updated = await ctx
    .db('accounts')
    .where({ id })
    .update({
      totp_enabled: totp.enabled,
      ...(totp.secret !== undefined ? { totp_secret: totp.secret } : {}),
      updated_at: ctx.now(),
    });
  return updated > 0;
}

export async function countRacines(ctx: ServiceContext): Promise<number> {
  const [{ n }] = await ctx.db('accounts').where({ is_racine: true }).count<{ n: string }[]>({ n: '*' });
  return Number(n);
}

/** Where notices for the racines go (relay health). */
export async function racineEmails(ctx: ServiceContext): Promise<string[]> {
  return ctx.db('accounts').where({ is_racine: true }).pluck('email');
}
