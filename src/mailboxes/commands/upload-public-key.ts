import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { activateUploadedKey } from '../../encryption/mailbox-keys';
import { checkPublicKey } from '../../encryption/public-key';
import { LoadedMailbox, mailboxAudit, mailboxSubject, updateMailboxRow } from '../mailboxes';

/** Mode `public-key`: the owner's own OpenPGP public key; giroflee never holds its private key. */
export async function uploadPublicKey(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  armored: string,
): Promise<{ fingerprint: string; expiresAt: Date | null }> {
  authorize(ctx.actor, 'update', mailboxSubject(mailbox));
  const key = await checkPublicKey(armored, ctx.now());
  const result = await activateUploadedKey(ctx, mailbox.id, key);
  await updateMailboxRow(ctx, mailbox.id, { encryption_mode: 'public-key' });
  await recordAudit(
    ctx,
    mailboxAudit(mailbox, 'mailbox.keys.upload', {
      fingerprint: result.fingerprint,
      encryptionMode: { before: mailbox.encryption_mode, after: 'public-key' },
    }),
  );
  return result;
}
