import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import * as keys from '../../encryption/mailbox-keys';
import {
  assertMailboxPassword,
  LoadedMailbox,
  mailboxAudit,
  mailboxSubject,
  updateMailboxRow,
} from '../mailboxes';

/** The owner, with the password: a new active key for new mail; old keys stay for old mail. */
export async function rotateMailboxKey(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  password: string,
): Promise<{ recoveryCode: string; fingerprint: string }> {
  authorize(ctx.actor, 'owner', mailboxSubject(mailbox));
  await assertMailboxPassword(ctx, mailbox.id, password);
  const result = await keys.rotateMailboxKey(ctx, mailbox, password);
  await updateMailboxRow(ctx, mailbox.id, { encryption_mode: 'generated' });
  await recordAudit(ctx, mailboxAudit(mailbox, 'mailbox.keys.rotate', { fingerprint: result.fingerprint }));
  return result;
}
