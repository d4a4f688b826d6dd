import { authorize } from '../../auth/authorize';
import { assertPasswordPolicy } from '../../auth/password-policy';
import { revokeSessionsOf } from '../../auth/sessions';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { resetMailboxKeys, rewrapMailboxKeys } from '../../encryption/mailbox-keys';
import {
  assertMailboxPassword,
  LoadedMailbox,
  mailboxAudit,
  mailboxSubject,
  setMailboxPasswordHash,
} from '../mailboxes';

/**
 * The owner changes their password knowing the current one; an admin (or racine) resets it
 * without. Both close the mailbox's sessions. Key consequences are reported to the caller.
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
  assertPasswordPolicy(input.newPassword, { login: mailbox.local_part });
  // The owner's keys are re-wrapped (no mail re-encrypted); an admin cannot open them, so a
  // reset puts a new key in front for new mail and leaves the old ones to the recovery code.
  let recoveryCode: string | null = null;
  if (owner) await rewrapMailboxKeys(ctx, mailbox.id, input.currentPassword as string, input.newPassword);
  else if (mailbox.encryption_mode === 'generated') {
    recoveryCode = (await resetMailboxKeys(ctx, mailbox, input.newPassword)).recoveryCode;
  }
  await setMailboxPasswordHash(ctx, mailbox.id, input.newPassword);
  await revokeSessionsOf(ctx, { mailboxId: mailbox.id }, owner ? actor.sessionId : undefined);
  const kind = owner ? 'change' : 'reset';
  await recordAudit(ctx, mailboxAudit(mailbox, `mailbox.password.${kind}`));
  return { kind, recoveryCode };
}
