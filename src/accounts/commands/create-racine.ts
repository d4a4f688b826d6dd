import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { accountCreated, AccountRow, insertAccount } from '../accounts';

/** A racine account with a one-time password, returned once (`giroflee racine add`). */
export async function createRacine(
  ctx: CommandContext,
  email: string,
): Promise<{ account: AccountRow; oneTimePassword: string }> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const created = await insertAccount(ctx, { email, racine: true });
  await recordAudit(ctx, accountCreated(created.account));
  return created;
}
