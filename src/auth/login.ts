import type { ServiceContext } from '../context';
import { errors } from '../errors';
import type { Actor } from './actor';
import { decoyHash, verifyPassword } from './password-hash';
import type { LoginThrottle } from './login-throttle';
import { createSession, resolveSession, SessionSubject } from './sessions';
import { checkTotp, unwrapTotpSecret } from './totp';

/**
 * Checks a console or webmail login: a console account by e-mail, else a mailbox by its
 * address. Unknown logins cost the same argon2 verification and get the same answer.
 */
export async function checkLogin(
  ctx: ServiceContext,
  throttle: LoginThrottle,
  input: { login: string; password: string; totp?: string },
  client: string,
): Promise<SessionSubject> {
  await throttle.assertAllowed(ctx, input.login, client);
  const login = input.login.trim().toLowerCase();

  const account = await ctx
    .db('accounts')
    .where({ email: login })
    .first('id', 'password_hash', 'totp_enabled', 'totp_secret');
  const mailbox = account
    ? undefined
    : await ctx
        .db('mailboxes as m')
        .join('domains as d', 'd.id', 'm.domain_id')
        .where({ 'm.address': login, 'm.status': 'active' })
        .whereNot('d.status', 'suspended')
        .first('m.id', 'm.password_hash');
  const hash = account?.password_hash ?? mailbox?.password_hash ?? (await decoyHash());
  const passwordOk = (await verifyPassword(hash, input.password)) && Boolean(account || mailbox);
  if (!passwordOk) {
    await throttle.recordFailure(ctx, login, client);
    throw errors.invalidCredentials();
  }
  if (account?.totp_enabled) {
    if (!input.totp) throw errors.totpRequired();
    const secret = unwrapTotpSecret(ctx.keyring, account.id, account.totp_secret);
    if (!checkTotp(secret, input.totp, ctx.now())) {
      await throttle.recordFailure(ctx, login, client);
      throw errors.invalidCredentials(undefined, {
        fr: 'Code d’authentification incorrect.',
        en: 'Wrong authentication code.',
      });
    }
  }
  await throttle.recordSuccess(ctx, login, client);
  return account ? { accountId: account.id } : { mailboxId: mailbox.id };
}

/**
 * A checked login opens a session: its token (for the cookie, never stored in clear), its
 * expiry and the actor it stands for. Failures are counted by the throttle in `ctx.db`, so
 * the caller runs this outside a transaction that the failure would roll back.
 */
export async function logIn(
  ctx: ServiceContext,
  throttle: LoginThrottle,
  input: { login: string; password: string; totp?: string },
  client: string,
): Promise<{ token: string; expiresAt: Date; actor: Actor }> {
  const subject = await checkLogin(ctx, throttle, input, client);
  const session = await createSession(ctx, subject, ctx.config.sessionHours);
  const actor = (await resolveSession(ctx, session.token)) as Actor;
  return { token: session.token, expiresAt: session.expiresAt, actor };
}
