import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { mailboxAudit, mailboxSubject, type LoadedMailbox } from '../../mailboxes/mailboxes';
import { writeSuspension } from '../sending-limits';

/**
 * Suspends (or gives back) a mailbox's sending: submission refuses its mail with 5.7.1 while
 * reading and receiving go on. For its collective's admins and the racines, not the mailbox
 * itself: a compromised account must not be able to lift it. The caller ends the mailbox's
 * sending-limit alert once this commits (endSendingLimitAlert: alerts are written on the pool).
 */
export async function suspendSending(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  suspended: boolean,
): Promise<{ suspended: boolean; changed: boolean }> {
  authorize(ctx.actor, 'manage', mailboxSubject(mailbox));
  const changed = await writeSuspension(ctx, mailbox.id, suspended);
  if (changed)
    await recordAudit(ctx, mailboxAudit(mailbox, suspended ? 'sending.suspend' : 'sending.resume'));
  return { suspended, changed };
}
