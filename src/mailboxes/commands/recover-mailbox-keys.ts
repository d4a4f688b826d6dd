import { authorize } from '../../auth/authorize';
import { assertPasswordPolicy } from '../../auth/password-policy';
import { revokeSessionsOf } from '../../auth/sessions';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import * as keys from '../../encryption/mailbox-keys';
import { LoadedMailbox, mailboxAudit, mailboxSubject, setMailboxPasswordHash } from '../mailboxes';

/**
 * The owner forgot the password and presents the recovery code (the actor is of type
 * `recovery`): the keys it opens are re-wrapped with the new password, which becomes the
 * mailbox's; a new recovery code replaces the spent one, and every session is closed.
 */
export async function recoverMailboxKeys(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  input: { recoveryCode: string; newPassword: string; currentPassword?: string },
): Promise<{ recoveryCode: string; recovered: string[] }> {
  authorize(ctx.actor, 'recover', mailboxSubject(mailbox));
  assertPasswordPolicy(input.newPassword, { login: mailbox.local_part });
  const result = await keys.recoverMailboxKeys(ctx, mailbox.id, input);
  await setMailboxPasswordHash(ctx, mailbox.id, input.newPassword);
  await revokeSessionsOf(ctx, { mailboxId: mailbox.id });
  await recordAudit(ctx, mailboxAudit(mailbox, 'mailbox.keys.recover', { recovered: result.recovered }));
  return result;
}
