import { accountOnly } from '../../auth/actor';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { setAccountTotp } from '../accounts';
import { assertTotpCode } from '../totp-code';

/** The owner turns off their two-factor authentication, proving it with a current code. */
export async function disableTotp(ctx: CommandContext, code: string): Promise<void> {
  const account = accountOnly(ctx.actor);
  await assertTotpCode(ctx, account.id, code);
  await setAccountTotp(ctx, account.id, { enabled: false, secret: null });
  await recordAudit(ctx, { action: 'account.totp.disable', targetType: 'account', targetId: account.id });
}
