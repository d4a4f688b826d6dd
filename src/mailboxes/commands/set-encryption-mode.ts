import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { ensureGeneratedKey } from '../../encryption/mailbox-keys';
import { errors } from '../../errors';
import {
  assertEncryptionModeAllowed,
  assertMailboxPassword,
  LoadedMailbox,
  mailboxAudit,
  mailboxSubject,
  updateMailboxRow,
} from '../mailboxes';

/**
 * Mode `none` (stored in clear, unless the platform forbids it) or back to `generated`, which
 * only the owner may ask for, with the password: an active generated key is kept, else a new
 * one is made (its recovery code returned once).
 */
export async function setEncryptionMode(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  input: { mode: 'none' | 'generated'; password?: string },
): Promise<{ recoveryCode: string | null }> {
  authorize(ctx.actor, 'update', mailboxSubject(mailbox));
  if (input.mode === 'generated') {
    authorize(ctx.actor, 'owner', mailboxSubject(mailbox));
    if (input.password) await assertMailboxPassword(ctx, mailbox.id, input.password);
  }
  assertEncryptionModeAllowed(ctx.config, input.mode);
  let recoveryCode: string | null = null;
  if (input.mode === 'generated') {
    if (!input.password) {
      throw errors.badRequest('password_required', {
        fr: 'Le mot de passe de la boîte est nécessaire pour créer sa clé.',
        en: 'The mailbox password is needed to make its key.',
      });
    }
    recoveryCode = (await ensureGeneratedKey(ctx, mailbox, input.password)).recoveryCode;
  }
  await updateMailboxRow(ctx, mailbox.id, { encryption_mode: input.mode });
  await recordAudit(
    ctx,
    mailboxAudit(mailbox, 'mailbox.keys.mode', {
      encryptionMode: { before: mailbox.encryption_mode, after: input.mode },
    }),
  );
  return { recoveryCode };
}
