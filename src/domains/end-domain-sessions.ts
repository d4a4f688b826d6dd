import type { CommandContext } from '../context';
import { endMailboxSessions, type SessionsEnded } from '../mailboxes/end-mailbox-sessions';
import type { DomainRow } from './find-domain';

/**
 * After a forced domain deletion committed: ends the sessions its deleted mailboxes still had
 * open (IMAP, ManageSieve, webmail), as a mailbox's own deletion does.
 */
export function endDeletedDomainSessions(
  ctx: CommandContext,
  domain: DomainRow,
  addresses: string[],
): Promise<SessionsEnded> {
  return endMailboxSessions(
    ctx,
    {
      action: 'domain.delete',
      targetType: 'domain',
      targetId: domain.id,
      collectiveId: domain.collective_id,
      details: { name: domain.name },
    },
    addresses,
    'deletion',
  );
}
