import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { LoadedMailbox, mailboxAudit, mailboxSubject } from '../../mailboxes/mailboxes';
import { upsertPreferences } from '../preferences';

const ARMORED_MESSAGE = /^-----BEGIN PGP MESSAGE-----\r?\n[\s\S]+-----END PGP MESSAGE-----\s*$/;

/**
 * The owner stores the webmail's settings. When the mailbox encrypts its mail, the blob must be
 * an OpenPGP message (the browser encrypts it to the mailbox's key): the server keeps no
 * signature or correspondent in clear. The audit says that it changed, never what.
 */
export async function savePreferences(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  blob: string,
): Promise<{ updatedAt: Date }> {
  authorize(ctx.actor, 'owner', mailboxSubject(mailbox));
  if (mailbox.encryption_mode !== 'none' && !ARMORED_MESSAGE.test(blob)) {
    throw errors.badRequest('not_encrypted', {
      fr: 'Cette boîte chiffre son courrier : ses réglages doivent être chiffrés avant d’être enregistrés.',
      en: 'This mailbox encrypts its mail: its settings must be encrypted before they are stored.',
    });
  }
  const updatedAt = await upsertPreferences(ctx, mailbox.id, blob);
  await recordAudit(ctx, mailboxAudit(mailbox, 'mail.preferences.update'));
  return { updatedAt };
}
