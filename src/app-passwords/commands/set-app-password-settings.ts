import { authorize } from '../../auth/authorize';
import { diffFields, recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { LoadedMailbox, mailboxAudit, mailboxSubject } from '../../mailboxes/mailboxes';
import { AppPasswordSettings, getAppPasswordSettings, saveAppPasswordSettings } from '../app-passwords';

/**
 * The owner chooses whether IMAP and SMTP refuse the main password once an app password exists,
 * so the password that unlocks the mailbox key never travels to Dovecot or Postfix.
 */
export async function setAppPasswordSettings(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  input: Partial<AppPasswordSettings>,
): Promise<AppPasswordSettings> {
  authorize(ctx.actor, 'owner', mailboxSubject(mailbox));
  const before = await getAppPasswordSettings(ctx, mailbox.id);
  const after = { mainPasswordRefused: input.mainPasswordRefused ?? before.mainPasswordRefused };
  await saveAppPasswordSettings(ctx, mailbox.id, after);
  await recordAudit(
    ctx,
    mailboxAudit(mailbox, 'mailbox.app_password.settings', diffFields({ ...before }, { ...after })),
  );
  return after;
}
