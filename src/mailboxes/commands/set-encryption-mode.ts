import { isRacine } from '../../auth/actor';
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
import { noticeOwner } from '../owner-notice';

const passwordRequired = (fr: string, en: string) => errors.badRequest('password_required', { fr, en });

/**
 * Mode `none` (stored in clear) or back to `generated`. Turning encryption off needs the
 * platform to allow it (GIROFLEE_ALLOW_UNENCRYPTED_MAILBOXES, off by default) and the owner's
 * own password, or a racine, whose change is audited and told to the owner by mail: never a
 * collective admin or a token behind the owner's back. Back to `generated` is the owner's, with
 * the password: an active generated key is kept, else a new one is made (its recovery code
 * returned once).
 */
export async function setEncryptionMode(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  input: { mode: 'none' | 'generated'; password?: string },
): Promise<{ recoveryCode: string | null }> {
  const { actor } = ctx;
  const subject = mailboxSubject(mailbox);
  authorize(actor, 'update', subject);
  assertEncryptionModeAllowed(ctx.config, input.mode);
  const byRacine = input.mode === 'none' && isRacine(actor);
  if (!byRacine) {
    authorize(actor, 'owner', subject);
    if (!input.password) {
      throw input.mode === 'none'
        ? passwordRequired(
            'Le mot de passe de la boîte est nécessaire pour désactiver son chiffrement.',
            'The mailbox password is needed to turn its encryption off.',
          )
        : passwordRequired(
            'Le mot de passe de la boîte est nécessaire pour créer sa clé.',
            'The mailbox password is needed to make its key.',
          );
    }
    await assertMailboxPassword(ctx, mailbox.id, input.password);
  }
  const recoveryCode =
    input.mode === 'generated'
      ? (await ensureGeneratedKey(ctx, mailbox, input.password as string)).recoveryCode
      : null;
  await updateMailboxRow(ctx, mailbox.id, { encryption_mode: input.mode });
  await recordAudit(
    ctx,
    mailboxAudit(mailbox, 'mailbox.keys.mode', {
      encryptionMode: { before: mailbox.encryption_mode, after: input.mode },
    }),
  );
  if (byRacine && mailbox.encryption_mode !== 'none') {
    await noticeOwner(
      ctx,
      mailbox.address,
      {
        fr: `${mailbox.address} : chiffrement du courrier désactivé`,
        en: `${mailbox.address}: mail encryption turned off`,
      },
      {
        fr: `Une racine de la plateforme a désactivé le chiffrement de la boîte ${mailbox.address} (${ctx.now().toISOString()}, UTC) : le courrier reçu désormais est stocké en clair sur le serveur. Le courrier déjà reçu reste chiffré. Vous pouvez le réactiver avec votre mot de passe (PUT /api/v1/mailboxes/${mailbox.address}/keys/mode). Si vous ne l’avez pas demandé, demandez pourquoi aux racines.`,
        en: `A racine of the platform turned off the encryption of the mailbox ${mailbox.address} (${ctx.now().toISOString()}, UTC): mail received from now on is stored in clear on the server. Mail received before stays encrypted. You can turn it back on with your password (PUT /api/v1/mailboxes/${mailbox.address}/keys/mode). If you did not ask for this, ask the racines why.`,
      },
    );
  }
  return { recoveryCode };
}
