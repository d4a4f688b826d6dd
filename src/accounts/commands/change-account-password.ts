import { accountOnly } from '../../auth/actor';
import { verifyPassword } from '../../auth/password-hash';
import { assertPasswordPolicy } from '../../auth/password-policy';
import { revokeSessionsOf } from '../../auth/sessions';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { lockAccountSecrets, setAccountPassword } from '../accounts';

/** The owner changes their own password (current one required); their other sessions are closed. */
export async function changeAccountPassword(
  ctx: CommandContext,
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  const account = accountOnly(ctx.actor);
  const row = await lockAccountSecrets(ctx, account.id);
  if (!(await verifyPassword(row.password_hash, input.currentPassword))) {
    throw errors.invalidCredentials(undefined, {
      fr: 'Le mot de passe actuel est incorrect.',
      en: 'The current password is wrong.',
    });
  }
  assertPasswordPolicy(input.newPassword, { login: row.email });
  await setAccountPassword(ctx, account.id, input.newPassword);
  await revokeSessionsOf(ctx, { accountId: account.id }, account.sessionId);
  await recordAudit(ctx, { action: 'account.password.change', targetType: 'account', targetId: account.id });
}
