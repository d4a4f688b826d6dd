import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { LoadedMailbox, mailboxAudit, mailboxSubject } from '../../mailboxes/mailboxes';
import { deleteAppPassword } from '../app-passwords';

/** The owner revokes an app password: the next IMAP or SMTP login with it fails. */
export async function revokeAppPassword(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  id: string,
): Promise<void> {
  authorize(ctx.actor, 'owner', mailboxSubject(mailbox));
  const row = await deleteAppPassword(ctx, mailbox.id, id);
  if (!row) throw errors.notFound();
  await recordAudit(
    ctx,
    mailboxAudit(mailbox, 'mailbox.app_password.revoke', { id: row.id, name: row.name }),
  );
}
