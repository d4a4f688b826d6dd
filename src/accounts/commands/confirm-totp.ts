import { accountOnly } from '../../auth/actor';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { setAccountTotp } from '../accounts';
import { assertTotpCode } from '../totp-code';

/** Confirms TOTP enrolment with a current code: logins need a code from now on. */
export async function confirmTotp(ctx: CommandContext, code: string): Promise<void> {
  const account = accountOnly(ctx.actor);
  await assertTotpCode(ctx, account.id, code);
  await setAccountTotp(ctx, account.id, { enabled: true });
  await recordAudit(ctx, { action: 'account.totp.enable', targetType: 'account', targetId: account.id });
}
