import type { CommandContext } from '../context';
import { afterCommit } from '../db/transaction';
import type { LocalizedText } from '../errors';
import { logger } from '../logger';
import { sendNotice } from '../notify/send-notice';

/**
 * Tells a mailbox's owner, at the mailbox's own address and once the change is durable, what a
 * racine did to its encryption: such changes are never made behind the owner's back.
 */
export async function noticeOwner(
  ctx: CommandContext,
  address: string,
  subject: LocalizedText,
  text: LocalizedText,
): Promise<void> {
  await afterCommit(ctx.db, () =>
    sendNotice(ctx, { to: [address], subject, text }).catch((err) =>
      logger.warn({ err }, 'notice to a mailbox owner not sent'),
    ),
  );
}
