import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import { revokeCollectiveMailboxSessions } from '../../auth/sessions';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { CollectiveRow, writeCollectiveSuspension } from '../collectives';

/**
 * Racines only: suspends a collective (unpaid dues, abuse), or lifts its suspension. While it
 * lasts nothing is lost: mail to its domains is still accepted and stored. Its people cannot log
 * in: not its console accounts (unless they belong to another collective, which they keep), API
 * tokens, webmail, IMAP or submission (the `mta` views refuse their passwords); the webmail
 * sessions of its mailboxes are revoked, and the caller ends what they have open at Dovecot
 * once this commits (endMailboxSessions). Nothing leaves in their name either: the submission
 * policy and the outbound gateway refuse it (src/sending). Both acts carry the racine's reason
 * into the audit log; a second suspension or lift is a 409.
 */
export async function suspendCollective(
  ctx: CommandContext,
  collective: CollectiveRow,
  input: { suspended: boolean; reason: string },
): Promise<CollectiveRow> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const row = await writeCollectiveSuspension(
    ctx,
    collective.id,
    input.suspended ? { reason: input.reason } : null,
  );
  if (!row) {
    throw input.suspended
      ? errors.conflict('collective_already_suspended', {
          fr: 'Ce collectif est déjà suspendu.',
          en: 'This collective is already suspended.',
        })
      : errors.conflict('collective_not_suspended', {
          fr: 'Ce collectif n’est pas suspendu.',
          en: 'This collective is not suspended.',
        });
  }
  if (input.suspended) await revokeCollectiveMailboxSessions(ctx, row.id);
  await recordAudit(ctx, {
    action: input.suspended ? 'collective.suspend' : 'collective.resume',
    targetType: 'collective',
    targetId: row.id,
    collectiveId: row.id,
    details: { slug: row.slug, reason: input.reason },
  });
  return row;
}
