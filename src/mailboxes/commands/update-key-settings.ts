import { authorize } from '../../auth/authorize';
import { diffFields, recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { LoadedMailbox, mailboxAudit, mailboxSubject, updateMailboxRow } from '../mailboxes';

/** Protected subject and Web Key Directory publication. */
export async function updateKeySettings(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  input: { protectedSubject?: boolean; wkd?: boolean },
): Promise<{ protectedSubject: boolean; wkd: boolean }> {
  authorize(ctx.actor, 'update', mailboxSubject(mailbox));
  const before = { protectedSubject: mailbox.protected_subject, wkd: mailbox.wkd_enabled };
  const after = {
    protectedSubject: input.protectedSubject ?? before.protectedSubject,
    wkd: input.wkd ?? before.wkd,
  };
  await updateMailboxRow(ctx, mailbox.id, {
    protected_subject: after.protectedSubject,
    wkd_enabled: after.wkd,
  });
  await recordAudit(ctx, mailboxAudit(mailbox, 'mailbox.keys.settings', diffFields(before, after)));
  return after;
}
