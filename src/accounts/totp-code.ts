import { checkTotp, unwrapTotpSecret } from '../auth/totp';
import type { ServiceContext } from '../context';
import { errors } from '../errors';
import { lockAccountSecrets } from './accounts';

/** Throws unless `code` is current for the account's stored TOTP secret (enrolled or pending). */
export async function assertTotpCode(ctx: ServiceContext, accountId: string, code: string): Promise<void> {
  const { totp_secret } = await lockAccountSecrets(ctx, accountId);
  if (!totp_secret) {
    throw errors.conflict('totp_not_started', {
      fr: 'Commencez par demander un nouveau secret.',
      en: 'Start by requesting a new secret.',
    });
  }
  if (!(await checkTotp(ctx, accountId, unwrapTotpSecret(ctx.keyring, accountId, totp_secret), code))) {
    throw errors.badRequest('invalid_totp', { fr: 'Code incorrect.', en: 'Wrong code.' });
  }
}
