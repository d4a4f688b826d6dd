import { recordAudit, type AuditEntry } from '../audit/record-audit';
import type { CommandContext } from '../context';
import type { LocalizedText } from '../errors';
import { logger } from '../logger';
import { endWebmailMailboxes } from '../mail/webmail-service';
import { doveadmKicker } from '../mailstack/doveadm-api';
import { mailboxAudit, type LoadedMailbox } from './mailboxes';

/** What became of the sessions that were open when mailboxes were suspended or deleted. */
export type SessionsEnded =
  { ended: true } | { ended: false; code: 'sessions_not_ended'; message: LocalizedText };

/** What was committed before the sessions are ended: the message says it is done all the same. */
export type SessionsEndedAfter = 'suspension' | 'deletion';

const NOT_ENDED: Record<SessionsEndedAfter, LocalizedText> = {
  suspension: {
    fr: 'La suspension est faite, mais Dovecot n’a pas pu fermer les sessions déjà ouvertes : un logiciel de messagerie connecté peut le rester jusqu’à sa prochaine connexion. Vérifiez Dovecot (page Santé), puis suspendez de nouveau pour les fermer, ou redémarrez Dovecot.',
    en: 'The suspension is done, but Dovecot could not close the sessions already open: a connected mail program may stay so until its next login. Check Dovecot (Health page), then suspend again to close them, or restart Dovecot.',
  },
  deletion: {
    fr: 'La suppression est faite, mais Dovecot n’a pas pu fermer les sessions déjà ouvertes : un logiciel de messagerie connecté peut le rester jusqu’à sa prochaine connexion, qui sera refusée. Vérifiez Dovecot (page Santé), ou redémarrez-le pour les fermer.',
    en: 'The deletion is done, but Dovecot could not close the sessions already open: a connected mail program may stay so until its next login, which will be refused. Check Dovecot (Health page), or restart it to close them.',
  },
};

/**
 * Once a suspension or a deletion is committed (never before: a client kicked earlier would log
 * in again with the old state), ends what its mailboxes still have open: this copy's webmail
 * connections and push streams, then, through Dovecot, every IMAP and ManageSieve session on any
 * copy. Web sessions went with the change itself (revoked, or deleted with the mailbox). A
 * Dovecot that cannot be asked does not undo the change: it is logged, written to the audit log
 * as `<action>.partial`, and returned.
 */
export async function endMailboxSessions(
  ctx: CommandContext,
  audit: AuditEntry,
  addresses: string[],
  after: SessionsEndedAfter,
): Promise<SessionsEnded> {
  if (addresses.length === 0) return { ended: true };
  await endWebmailMailboxes(ctx, addresses);
  try {
    await (ctx.sessionKicker ?? doveadmKicker(ctx)).kick(addresses);
    return { ended: true };
  } catch (err) {
    logger.error({ err, action: audit.action, mailboxes: addresses.length }, 'open sessions not ended');
    // One row on its own: the change it completes is already committed with its own.
    await recordAudit(ctx, {
      ...audit,
      action: `${audit.action}.partial`,
      details: { ...audit.details, sessions: 'not_ended', mailboxes: addresses.length },
    }).catch((e: unknown) => logger.error({ err: e }, 'audit of the sessions not ended failed'));
    return { ended: false, code: 'sessions_not_ended', message: NOT_ENDED[after] };
  }
}

/** After a mailbox's suspension (status `disabled`) committed: ends what it still has open. */
export function endSuspendedMailboxSessions(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
): Promise<SessionsEnded> {
  return endMailboxSessions(ctx, mailboxAudit(mailbox, 'mailbox.suspend'), [mailbox.address], 'suspension');
}

/** After a mailbox's deletion committed: ends what it still had open. */
export function endDeletedMailboxSessions(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
): Promise<SessionsEnded> {
  return endMailboxSessions(ctx, mailboxAudit(mailbox, 'mailbox.delete'), [mailbox.address], 'deletion');
}
