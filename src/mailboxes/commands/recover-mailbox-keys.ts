import { authorize } from '../../auth/authorize';
import { assertPasswordPolicy } from '../../auth/password-policy';
import { revokeSessionsOf } from '../../auth/sessions';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext, ServiceContext } from '../../context';
import { afterCommit } from '../../db/transaction';
import * as keys from '../../encryption/mailbox-keys';
import { normalizeRecoveryCode } from '../../encryption/passphrase';
import { logger } from '../../logger';
import type { EmailAddress } from '../../names/email-address';
import { sendNotice } from '../../notify/send-notice';
import { findMailboxForRecovery, mailboxAudit, mailboxSubject, setMailboxPasswordHash } from '../mailboxes';

/**
 * The owner forgot the password and presents the recovery code, without logging in: the keys
 * it opens are re-wrapped with the new password, which becomes the mailbox's; a new recovery
 * code replaces the spent one, and every session is closed.
 *
 * Unlike other commands this one loads its mailbox itself: whoever asks is not logged in, so a
 * missing mailbox must answer exactly as a wrong code does (same error, same argon2 cost), and
 * every check that does not depend on the mailbox comes first. The actor is the code itself
 * (`recovery`), audited as such, and the mailbox's address is told by mail: if the owner did
 * not do it, they learn it at once.
 */
export async function recoverMailboxKeys(
  ctx: ServiceContext,
  address: EmailAddress,
  input: { recoveryCode: string; newPassword: string; currentPassword?: string },
): Promise<{ recoveryCode: string; recovered: string[] }> {
  normalizeRecoveryCode(input.recoveryCode);
  assertPasswordPolicy(input.newPassword, { login: address.address, inputs: [address.domain] });
  const mailbox = await findMailboxForRecovery(ctx, address);
  if (!mailbox) {
    await keys.spendDecoyRecovery(input.recoveryCode);
    throw keys.recoveryRefused();
  }
  const recovery: CommandContext = { ...ctx, actor: { type: 'recovery', address: mailbox.address } };
  authorize(recovery.actor, 'recover', mailboxSubject(mailbox));
  const result = await keys.recoverMailboxKeys(recovery, mailbox.id, input);
  await setMailboxPasswordHash(recovery, mailbox.id, input.newPassword);
  await revokeSessionsOf(recovery, { mailboxId: mailbox.id });
  await recordAudit(
    recovery,
    mailboxAudit(mailbox, 'mailbox.keys.recover', { authenticated: false, recovered: result.recovered }),
  );
  const when = ctx.now().toISOString();
  await afterCommit(ctx.db, () =>
    sendNotice(ctx, {
      to: [mailbox.address],
      subject: {
        fr: `${mailbox.address} : mot de passe changé avec le code de secours`,
        en: `${mailbox.address}: password changed with the recovery code`,
      },
      text: {
        fr: `Le mot de passe de la boîte ${mailbox.address} a été changé avec son code de secours, sans connexion (${when}, UTC). Toutes ses sessions ont été fermées et un nouveau code de secours a été remis à la personne qui l'a fait ; l'ancien ne sert plus. Si ce n'était pas vous, prévenez tout de suite les administrateurs de votre collectif.`,
        en: `The password of the mailbox ${mailbox.address} was changed with its recovery code, without logging in (${when}, UTC). All its sessions were closed and a new recovery code was given to whoever did it; the old one no longer works. If this was not you, tell your collective's admins at once.`,
      },
    }).catch((err) => logger.warn({ err }, 'recovery notice not sent')),
  );
  return result;
}
