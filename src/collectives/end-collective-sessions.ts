import type { CommandContext } from '../context';
import { collectiveMailboxAddresses } from '../mailboxes/mailboxes';
import { endMailboxSessions, type SessionsEnded } from '../mailboxes/end-mailbox-sessions';
import type { CollectiveRow } from './collectives';

/**
 * After a collective's suspension committed: ends the sessions its mailboxes still have open
 * (IMAP, ManageSieve, webmail), on the pool, not in a transaction (see endMailboxSessions).
 */
export async function endCollectiveSessions(ctx: CommandContext, row: CollectiveRow): Promise<SessionsEnded> {
  return endMailboxSessions(
    ctx,
    {
      action: 'collective.suspend',
      targetType: 'collective',
      targetId: row.id,
      collectiveId: row.id,
      details: { slug: row.slug },
    },
    await collectiveMailboxAddresses(ctx, row.id),
    'suspension',
  );
}
