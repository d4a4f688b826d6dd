import { authorize } from '../../auth/authorize';
import { revokeSessionsOf } from '../../auth/sessions';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { setAccountTotp } from '../accounts';

/** A racine resets someone's TOTP (lost phone); that person's sessions are closed. */
export async function resetTotp(ctx: CommandContext, accountId: string): Promise<void> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  if (!(await setAccountTotp(ctx, accountId, { enabled: false, secret: null }))) throw errors.notFound();
  await revokeSessionsOf(ctx, { accountId });
  await recordAudit(ctx, { action: 'account.totp.reset', targetType: 'account', targetId: accountId });
}
