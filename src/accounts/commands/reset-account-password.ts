import { authorize } from '../../auth/authorize';
import { revokeSessionsOf } from '../../auth/sessions';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { AccountRow, setAccountOneTimePassword } from '../accounts';

/**
 * A racine resets a console account's password (its owner lost it): a one-time password,
 * returned once, to be changed at the next login; every session of the account is closed. Its
 * two-factor authentication stays as it is (resetTotp is a separate, deliberate step).
 */
export async function resetAccountPassword(
  ctx: CommandContext,
  accountId: string,
): Promise<{ account: AccountRow; oneTimePassword: string }> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const reset = await setAccountOneTimePassword(ctx, accountId);
  if (!reset) throw errors.notFound();
  await revokeSessionsOf(ctx, { accountId });
  await recordAudit(ctx, {
    action: 'account.password.reset',
    targetType: 'account',
    targetId: accountId,
    details: { email: reset.account.email },
  });
  return reset;
}
