import { isRacine } from '../../auth/actor';
import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { activateUploadedKey } from '../../encryption/mailbox-keys';
import { checkPublicKey } from '../../encryption/public-key';
import { LoadedMailbox, mailboxAudit, mailboxSubject, updateMailboxRow } from '../mailboxes';
import { noticeOwner } from '../owner-notice';

/**
 * Mode `public-key`: the owner's own OpenPGP public key; giroflee never holds its private key.
 * Only the owner, or a racine (told to the owner by mail), may choose the key new mail is
 * encrypted to: a key an admin holds would let the admin read it.
 */
export async function uploadPublicKey(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  armored: string,
): Promise<{ fingerprint: string; expiresAt: Date | null }> {
  const subject = mailboxSubject(mailbox);
  authorize(ctx.actor, 'update', subject);
  const byRacine = isRacine(ctx.actor);
  if (!byRacine) authorize(ctx.actor, 'owner', subject);
  const key = await checkPublicKey(armored, ctx.now(), mailbox.address);
  const result = await activateUploadedKey(ctx, mailbox.id, key);
  await updateMailboxRow(ctx, mailbox.id, { encryption_mode: 'public-key' });
  await recordAudit(
    ctx,
    mailboxAudit(mailbox, 'mailbox.keys.upload', {
      fingerprint: result.fingerprint,
      encryptionMode: { before: mailbox.encryption_mode, after: 'public-key' },
    }),
  );
  if (byRacine) {
    await noticeOwner(
      ctx,
      mailbox.address,
      {
        fr: `${mailbox.address} : nouvelle clé de chiffrement`,
        en: `${mailbox.address}: new encryption key`,
      },
      {
        fr: `Une racine de la plateforme a installé la clé publique ${result.fingerprint} pour la boîte ${mailbox.address} (${ctx.now().toISOString()}, UTC) : le courrier reçu désormais est chiffré pour elle. Si ce n’est pas votre clé, demandez pourquoi aux racines.`,
        en: `A racine of the platform installed the public key ${result.fingerprint} for the mailbox ${mailbox.address} (${ctx.now().toISOString()}, UTC): mail received from now on is encrypted to it. If it is not your key, ask the racines why.`,
      },
    );
  }
  return result;
}
