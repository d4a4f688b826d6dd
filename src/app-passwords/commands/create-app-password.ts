import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { LoadedMailbox, mailboxAudit, mailboxSubject } from '../../mailboxes/mailboxes';
import { AppPasswordRow, countAppPasswords, insertAppPassword, MAX_APP_PASSWORDS } from '../app-passwords';

/** The owner makes an app password for one mail program; the clear password is returned once. */
export async function createAppPassword(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  input: { name: string },
): Promise<{ row: AppPasswordRow; password: string }> {
  authorize(ctx.actor, 'owner', mailboxSubject(mailbox));
  if ((await countAppPasswords(ctx, mailbox.id)) >= MAX_APP_PASSWORDS) {
    throw errors.conflict('too_many_app_passwords', {
      fr: `Cette boîte a déjà ${MAX_APP_PASSWORDS} mots de passe d’application : révoquez-en un d’abord.`,
      en: `This mailbox already has ${MAX_APP_PASSWORDS} app passwords: revoke one first.`,
    });
  }
  const created = await insertAppPassword(ctx, mailbox.id, input.name);
  await recordAudit(
    ctx,
    mailboxAudit(mailbox, 'mailbox.app_password.create', { id: created.row.id, name: created.row.name }),
  );
  return created;
}
