import type { ServiceContext } from '../context';
import { errors } from '../errors';
import type { Actor } from './actor';
import { decoyHash, verifyPassword } from './password-hash';
import type { LoginThrottle } from './login-throttle';
import { createSession, loadAccountActor, resolveSession, SessionSubject } from './sessions';
import { checkTotp, unwrapTotpSecret } from './totp';

/** Which kind of login to check: a console account, a mailbox, or either (the default). */
export type LoginKind = 'account' | 'mailbox';

export interface LoginInput {
  login: string;
  password: string;
  totp?: string;
  kind?: LoginKind;
}

/**
 * Checks a console or webmail login. A console account and a mailbox may share an address (a
 * mailbox owner who also runs the collective): each is checked with its own password, so an
 * account never shadows the mailbox's login. The account wins when both match; `kind` asks for
 * one of them. Unknown logins cost the same argon2 verifications (one per kind asked, against a
 * decoy) and get the same answer.
 */
export async function checkLogin(
  ctx: ServiceContext,
  throttle: LoginThrottle,
  input: LoginInput,
  client: string,
): Promise<SessionSubject> {
  await throttle.begin(ctx, input.login, client);
  const login = input.login.trim().toLowerCase();
  const decoy = await decoyHash();

  const account =
    input.kind === 'mailbox'
      ? undefined
      : await ctx
          .db('accounts')
          .where({ email: login })
          .first('id', 'password_hash', 'totp_enabled', 'totp_secret');
  const mailbox =
    input.kind === 'account'
      ? undefined
      : await ctx
          .db('mailboxes as m')
          .join('domains as d', 'd.id', 'm.domain_id')
          .join('collectives as c', 'c.id', 'd.collective_id')
          .where({ 'm.address': login, 'm.status': 'active' })
          .whereNot('d.status', 'suspended')
          .first('m.id', 'm.password_hash', ctx.db.raw('c.suspended_at IS NOT NULL AS suspended'));
  const accountOk =
    input.kind !== 'mailbox' &&
    (await verifyPassword(account?.password_hash ?? decoy, input.password)) &&
    Boolean(account);
  const mailboxOk =
    input.kind !== 'account' &&
    (await verifyPassword(mailbox?.password_hash ?? decoy, input.password)) &&
    Boolean(mailbox);
  // A failure stays counted: the throttle counted the attempt before the check.
  if (!accountOk && !mailboxOk) throw errors.invalidCredentials();
  if (accountOk && account.totp_enabled) {
    if (!input.totp) throw errors.totpRequired();
    const secret = unwrapTotpSecret(ctx.keyring, account.id, account.totp_secret);
    if (!(await checkTotp(ctx, account.id, secret, input.totp))) {
      throw errors.invalidCredentials(undefined, {
        fr: 'Code d’authentification incorrect.',
        en: 'Wrong authentication code.',
      });
    }
  }
  await throttle.succeeded(ctx, login, client);
  // Told only to whoever knows the password: a suspended collective's people learn why they
  // cannot log in; anyone else gets the answer of a wrong password above.
  if (accountOk && (await loadAccountActor(ctx, account.id))) return { accountId: account.id };
  if (mailboxOk && !mailbox.suspended) return { mailboxId: mailbox.id };
  throw errors.collectiveSuspended();
}

/**
 * A checked login opens a session: its token (for the cookie, never stored in clear), its
 * expiry and the actor it stands for. Failures are counted by the throttle in `ctx.db`, so
 * the caller runs this outside a transaction that the failure would roll back.
 */
export async function logIn(
  ctx: ServiceContext,
  throttle: LoginThrottle,
  input: LoginInput,
  client: string,
): Promise<{ token: string; expiresAt: Date; actor: Actor }> {
  const subject = await checkLogin(ctx, throttle, input, client);
  const session = await createSession(ctx, subject, ctx.config.sessionHours);
  const actor = (await resolveSession(ctx, session.token)) as Actor;
  return { token: session.token, expiresAt: session.expiresAt, actor };
}
