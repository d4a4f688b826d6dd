import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { LoadedMailbox, mailboxAudit, mailboxSubject } from '../../mailboxes/mailboxes';
import { writeMailboxSieve } from '../mailbox-sieve';
import type { SieveRules } from '../sieve-rules';

/**
 * The owner sets the vacation reply and filters. The audit row is written first, in the
 * caller's transaction: if Dovecot then refuses, the error rolls it back. It records what kind
 * of rules exist, never their words (a reply's text is the owner's own business).
 */
export async function setSieveRules(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
  rules: SieveRules,
): Promise<SieveRules> {
  authorize(ctx.actor, 'owner', mailboxSubject(mailbox));
  await recordAudit(
    ctx,
    mailboxAudit(mailbox, 'mailbox.sieve.set', {
      vacation: rules.vacation !== null,
      filters: rules.filters.length,
    }),
  );
  await writeMailboxSieve(ctx, mailbox.address, rules);
  return rules;
}
