import { authorize } from '../../auth/authorize';
import { revokeSessionsOf } from '../../auth/sessions';
import { diffFields, recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { LoadedMailbox, mailboxAudit, mailboxSubject, MailboxRow, updateMailboxRow } from '../mailboxes';

/** Encryption mode and protected subject change through the key commands, which handle keys. */
export interface MailboxChanges {
  displayName?: string | null;
  quotaBytes?: number;
  status?: 'active' | 'disabled';
}

/** Fields the mailbox owner may change on their own mailbox; the rest is for its collective's admins. */
const OWNER_FIELDS: ReadonlyArray<keyof MailboxChanges> = ['displayName'];

/** Display name (owner or admins), quota and status (admins); disabling closes its sessions. */
export async function updateMailbox(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  changes: MailboxChanges,
): Promise<MailboxRow> {
  const { actor } = ctx;
  authorize(actor, 'update', mailboxSubject(mailbox));
  if (actor.type === 'mailbox') {
    const refused = Object.keys(changes).filter((k) => !OWNER_FIELDS.includes(k as keyof MailboxChanges));
    if (refused.length) {
      throw errors.forbidden(
        { fields: refused },
        { fr: 'Ces champs sont réservés aux administrateurs.', en: 'These fields are for admins only.' },
      );
    }
  }
  const update = {
    display_name: changes.displayName,
    quota_bytes: changes.quotaBytes,
    status: changes.status,
  };
  const defined = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
  const row = await updateMailboxRow(ctx, mailbox.id, defined);
  if (changes.status === 'disabled') await revokeSessionsOf(ctx, { mailboxId: mailbox.id });
  await recordAudit(
    ctx,
    mailboxAudit(mailbox, 'mailbox.update', {
      changes: diffFields(mailbox as unknown as Record<string, unknown>, defined),
    }),
  );
  return { ...row, setup_link_expires_at: mailbox.setup_link_expires_at };
}
