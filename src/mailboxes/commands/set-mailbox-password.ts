import { authorize } from '../../auth/authorize';
import { assertPasswordPolicy } from '../../auth/password-policy';
import { revokeSessionsOf } from '../../auth/sessions';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import {
  renewMailboxKeyProtection,
  resetMailboxKeys,
  rewrapMailboxKeys,
} from '../../encryption/mailbox-keys';
import {
  assertMailboxPassword,
  LoadedMailbox,
  mailboxAudit,
  mailboxSubject,
  setMailboxPasswordHash,
} from '../mailboxes';
import { dropUnusedSetupLink } from '../setup-links';

/**
 * The owner changes their password knowing the current one; an admin (or racine) resets it
 * without. Both close the mailbox's sessions.
 *
 * A reset password is temporary: the owner must choose another at the next login (IMAP and
 * SMTP refuse it meanwhile), and that change gives the owner a fresh recovery code for the key
 * the reset made. The admin never sees a recovery code, so nothing the admin saw can take the
 * mailbox back later. Key consequences are reported to the caller.
 */
export async function setMailboxPassword(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  input: { currentPassword?: string; newPassword: string },
): Promise<{ kind: 'change' | 'reset'; recoveryCode: string | null }> {
  const { actor } = ctx;
  const owner = actor.type === 'mailbox' && actor.id === mailbox.id;
  if (owner) await assertMailboxPassword(ctx, mailbox.id, input.currentPassword ?? '');
  else authorize(actor, 'manage', mailboxSubject(mailbox));
  assertPasswordPolicy(input.newPassword, {
    login: mailbox.address,
    inputs: [mailbox.display_name, mailbox.domain_name],
  });
  // The owner's keys are re-wrapped (no mail re-encrypted); an admin cannot open them, so a
  // reset puts a new key in front for new mail and leaves the old ones to the recovery code.
  let recoveryCode: string | null = null;
  const current = input.currentPassword as string;
  if (owner && mailbox.must_change_password) {
    recoveryCode = (await renewMailboxKeyProtection(ctx, mailbox.id, current, input.newPassword))
      .recoveryCode;
  } else if (owner) {
    await rewrapMailboxKeys(ctx, mailbox.id, current, input.newPassword);
  } else if (mailbox.encryption_mode === 'generated') {
    await resetMailboxKeys(ctx, mailbox, input.newPassword);
  }
  await setMailboxPasswordHash(ctx, mailbox.id, input.newPassword, !owner);
  await revokeSessionsOf(ctx, { mailboxId: mailbox.id }, owner ? actor.sessionId : undefined);
  // An admin's password replaces the owner's pending one-time link: only one way in at a time.
  const setupLinkDropped = !owner && (await dropUnusedSetupLink(ctx, mailbox.id));
  const kind = owner ? 'change' : 'reset';
  await recordAudit(
    ctx,
    mailboxAudit(mailbox, `mailbox.password.${kind}`, setupLinkDropped ? { setupLinkDropped } : {}),
  );
  return { kind, recoveryCode };
}
