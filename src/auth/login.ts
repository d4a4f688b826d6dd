import type { AppContext } from '../context';
import { errors } from '../errors';
import { decoyHash, verifyPassword } from './password-hash';
import type { LoginThrottle } from './login-throttle';
import { checkTotp, unwrapTotpSecret } from './totp';

export type LoginSubject = { accountId: string } | { mailboxId: string };

/**
 * Checks a console or webmail login: a console account by e-mail, else a mailbox by its
 * address. Unknown logins cost the same argon2 verification and get the same answer.
 */
export async function checkLogin(
  ctx: AppContext,
  throttle: LoginThrottle,
  input: { login: string; password: string; totp?: string },
  client: string,
): Promise<LoginSubject> {
  const now = ctx.now();
  await throttle.assertAllowed(input.login, client, now);
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
    await throttle.recordFailure(login, client, now);
    throw errors.invalidCredentials();
  }
  if (account?.totp_enabled) {
    if (!input.totp) throw errors.totpRequired();
    const secret = unwrapTotpSecret(ctx.keyring, account.id, account.totp_secret);
    if (!checkTotp(secret, input.totp, now)) {
      await throttle.recordFailure(login, client, now);
      throw errors.invalidCredentials(undefined, {
        fr: 'Code d’authentification incorrect.',
        en: 'Wrong authentication code.',
      });
    }
  }
  await throttle.recordSuccess(login, client);
  return account ? { accountId: account.id } : { mailboxId: mailbox.id };
}
