import { raiseAlert, resolveAlert } from '../alerts/raise-alert';
import type { SendingLimits } from '../config';
import type { AppContext } from '../context';
import { runInTransaction } from '../db/transaction';
import { logger } from '../logger';
import {
  countSubmission,
  exceededLimit,
  findSender,
  type Sender,
  type SenderClosed,
  type SendingCounts,
} from './sending-limits';

const WINDOW: Record<keyof SendingLimits, { fr: string; en: string; smtp: string }> = {
  hourMessages: { fr: 'messages par heure', en: 'messages per hour', smtp: 'messages per hour' },
  hourRecipients: { fr: 'destinataires par heure', en: 'recipients per hour', smtp: 'recipients per hour' },
  dayMessages: { fr: 'messages par 24 h', en: 'messages per 24 hours', smtp: 'messages per 24 hours' },
  dayRecipients: {
    fr: 'destinataires par 24 h',
    en: 'recipients per 24 hours',
    smtp: 'recipients per 24 hours',
  },
};

export const SENDING_LIMIT_ALERT = 'sending_limit';

export type SubmissionVerdict =
  | { kind: 'permit'; sender?: Sender; counts?: SendingCounts }
  | { kind: 'unknown' }
  | { kind: 'suspended'; sender: Sender }
  | { kind: 'closed'; sender: Sender; closed: SenderClosed }
  | { kind: 'over'; sender: Sender; limit: keyof SendingLimits };

/**
 * Counts one submitted message against its mailbox's limits. Over a limit, nothing is counted
 * (the transaction rolls back), so a mailbox that waits gets its sending back as the window
 * slides. The submission login is the mailbox's address (the webmail's `address*master` too).
 */
export async function checkSubmission(
  app: AppContext,
  login: string,
  recipients: number,
): Promise<SubmissionVerdict> {
  const address = login.split('*')[0];
  const over = new Error('over');
  let verdict: SubmissionVerdict = { kind: 'permit' };
  try {
    await runInTransaction(app, async (ctx) => {
      const sender = await findSender(ctx, address);
      if (!sender) return void (verdict = { kind: 'unknown' });
      // A session opened before its mailbox or collective was suspended still asks at DATA.
      if (sender.closed) return void (verdict = { kind: 'closed', sender, closed: sender.closed });
      if (sender.suspended) return void (verdict = { kind: 'suspended', sender });
      const counts = await countSubmission(ctx, sender.mailboxId, recipients);
      const limit = exceededLimit(counts, sender.limits);
      if (!limit) return void (verdict = { kind: 'permit', sender, counts });
      verdict = { kind: 'over', sender, limit };
      throw over;
    });
  } catch (e) {
    if (e !== over) throw e;
  }
  return verdict;
}

/**
 * The policy answer for Postfix's submission at DATA (`recipient_count` is known there), and
 * the alert to the racines. The alert names the domain and the mailbox's id, never its address
 * (alerts go to chat channels); `giroflee sending suspend <id>` takes either.
 */
export function policyAction(app: AppContext, verdict: SubmissionVerdict): string {
  switch (verdict.kind) {
    case 'permit':
      return 'DUNNO';
    case 'unknown':
      // Submission only takes logged-in mailboxes: one we cannot find is a doubt, so it waits.
      return '451 4.7.1 Expediteur inconnu / Unknown sender, try again later';
    case 'suspended':
      return '550 5.7.1 Envoi suspendu pour cette boite / Sending is suspended for this mailbox';
    case 'closed':
      return closedReply(verdict.closed);
    case 'over': {
      const { sender, limit } = verdict;
      const max = sender.limits[limit];
      const w = WINDOW[limit];
      logger.warn({ mailbox: sender.mailboxId, limit }, 'sending limit reached');
      void raiseAlert(app, {
        kind: SENDING_LIMIT_ALERT,
        subject: sender.mailboxId,
        title: {
          fr: `Limite d'envoi atteinte : une boîte de ${sender.domainName}`,
          en: `Sending limit reached: a mailbox of ${sender.domainName}`,
        },
        text: {
          fr: `La boîte ${sender.mailboxId} (${sender.domainName}) a atteint sa limite de ${max} ${w.fr} ; ses envois sont refusés (4.7.1) jusqu'à ce que la fenêtre passe. Si ce n'est pas son usage habituel, le compte est peut-être compromis : « giroflee sending suspend ${sender.mailboxId} » suspend ses envois.`,
          en: `Mailbox ${sender.mailboxId} (${sender.domainName}) reached its limit of ${max} ${w.en}; its mail is refused (4.7.1) until the window slides. If that is not its usual use, the account may be compromised: "giroflee sending suspend ${sender.mailboxId}" suspends its sending.`,
        },
      });
      return `450 4.7.1 Limite d'envoi atteinte / Sending limit reached: ${max} ${w.smtp}`;
    }
  }
}

/** RFC 3463 5.7.1 (delivery not authorized): the refusal of mail in a suspended sender's name. */
export function closedReply(closed: SenderClosed): string {
  return closed === 'collective'
    ? '550 5.7.1 Collectif suspendu, envoi refuse / Sending refused: the collective of this address is suspended'
    : '550 5.7.1 Boite suspendue, envoi refuse / Sending refused: this mailbox is suspended';
}

/** Ends the alert of a mailbox that may send again (suspended: the racines acted on it). */
export function endSendingLimitAlert(app: AppContext, mailboxId: string): Promise<boolean> {
  return resolveAlert(app, { kind: SENDING_LIMIT_ALERT, subject: mailboxId });
}
