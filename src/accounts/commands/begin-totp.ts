import { accountOnly } from '../../auth/actor';
import { newTotpSecret, totpUri, wrapTotpSecret } from '../../auth/totp';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { lockAccountSecrets, setAccountTotp } from '../accounts';

/**
 * Starts TOTP enrolment: stores a new secret, not yet enabled, and returns it once. Not audited:
 * nothing changes for logins until the enrolment is confirmed (confirmTotp), which is.
 */
export async function beginTotp(ctx: CommandContext): Promise<{ secret: string; uri: string }> {
  const account = accountOnly(ctx.actor);
  if ((await lockAccountSecrets(ctx, account.id)).totp_enabled) {
    throw errors.conflict('totp_already_enabled', {
      fr: 'La double authentification est déjà active.',
      en: 'Two-factor authentication is already enabled.',
    });
  }
  const secret = newTotpSecret();
  await setAccountTotp(ctx, account.id, {
    enabled: false,
    secret: wrapTotpSecret(ctx.keyring, account.id, secret),
  });
  return { secret, uri: totpUri(secret, account.email) };
}
