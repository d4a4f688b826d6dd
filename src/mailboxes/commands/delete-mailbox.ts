import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { deleteMailboxRow, LoadedMailbox, mailboxAudit, mailboxSubject } from '../mailboxes';

/** Deletes a mailbox (its stored mail is removed by the mail store separately). */
export async function deleteMailbox(ctx: CommandContext, mailbox: LoadedMailbox): Promise<void> {
  authorize(ctx.actor, 'delete', mailboxSubject(mailbox));
  await deleteMailboxRow(ctx, mailbox.id);
  await recordAudit(ctx, mailboxAudit(mailbox, 'mailbox.delete', { at: ctx.now().toISOString() }));
}
