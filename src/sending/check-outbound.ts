import { raiseAlert, resolveAlert } from '../alerts/raise-alert';
import { recordAudit } from '../audit/record-audit';
import type { OutboundScanSettings } from '../config';
import type { AppContext } from '../context';
import { runInTransaction } from '../db/transaction';
import { logger } from '../logger';
import { externalDomains, recordScan, type WindowTotals } from './outbound-scans';
import { findSender, writeSuspension, type Sender } from './sending-limits';
import {
  isRefused,
  refusalText,
  scanWithRspamd,
  type RspamdResult,
  type ScanRequest,
} from './scan-submission';

export const COMPROMISED_ALERT = 'compromised_sending';

/** What the submission milter answers at the end of the message. */
export type OutboundVerdict = { code: 'continue' } | { code: 'reply'; text: string };

type Signal = keyof WindowTotals;

const SIGNAL_TEXT: Record<Signal, { fr: string; en: string }> = {
  recipients: { fr: 'destinataires', en: 'recipients' },
  newDomains: { fr: 'nouveaux domaines externes', en: 'new external domains' },
  highScores: { fr: 'messages au score élevé', en: 'high-scoring messages' },
};

/** The thresholds the mailbox's window reached. */
export function reachedSignals(totals: WindowTotals, s: OutboundScanSettings): Signal[] {
  return (Object.keys(SIGNAL_TEXT) as Signal[]).filter((k) => totals[k] >= s.alert[k]);
}

const SUSPENDED_REPLY = '550 5.7.1 Envoi suspendu pour cette boite / Sending is suspended for this mailbox';

/**
 * The outbound scan of one submitted message, as the submission milter asks it once the whole
 * message is known: rspamd's score refuses it (5.7.1, the reason in the reply) from the
 * reject score on; the mailbox's window (recipients, new external domains, high scores) raises
 * the compromised-account alert to the racines, and suspends the mailbox's sending when the
 * platform says so. rspamd unreachable, or the database: 451, Postfix's client keeps the message.
 * The alert ends when a later message finds the window below every threshold (per process: a
 * second resolve costs nothing), or when someone suspends the mailbox's sending.
 */
export function outboundScanner(
  app: AppContext,
  settings: OutboundScanSettings,
  scan: (r: ScanRequest) => Promise<RspamdResult> = (r) =>
    scanWithRspamd(settings.rspamd, settings.timeoutMs, r),
): (r: ScanRequest) => Promise<OutboundVerdict> {
  const alerted = new Set<string>();
  return async (r) => {
    const sender = await findSender(app, r.login.split('*')[0]);
    // Submission only takes logged-in mailboxes: one we cannot find is a doubt, so it waits.
    if (!sender)
      return { code: 'reply', text: '451 4.7.1 Expediteur inconnu / Unknown sender, try again later' };
    let result: RspamdResult;
    try {
      result = await scan(r);
    } catch (err) {
      logger.error({ err }, 'outbound scan: rspamd did not answer');
      return {
        code: 'reply',
        text: '451 4.3.0 Analyse indisponible, reessayez plus tard / Scanning unavailable, try again later',
      };
    }
    const refused = isRefused(result, settings.rejectScore);
    const domains = await externalDomains(app, r.recipients);
    const totals = await runInTransaction(app, (ctx) =>
      recordScan(ctx, {
        mailboxId: sender.mailboxId,
        recipients: r.recipients.length,
        domains,
        // GTUBE and forced rules refuse at any score: they count as high.
        score: refused ? Math.max(result.score, settings.rejectScore) : result.score,
        highScore: settings.highScore,
        windowMs: settings.windowMs,
      }),
    );
    const signals = reachedSignals(totals, settings);
    if (refused) logger.info({ mailbox: sender.mailboxId, score: result.score }, 'outbound scan: refused');
    if (signals.length === 0) {
      if (alerted.delete(sender.mailboxId)) void endCompromisedAlert(app, sender.mailboxId);
    } else {
      alerted.add(sender.mailboxId);
      const suspended = settings.suspend && (await suspendCompromised(app, sender));
      void raiseCompromisedAlert(app, sender, totals, signals, settings, suspended);
      if (suspended) return { code: 'reply', text: SUSPENDED_REPLY };
    }
    return refused
      ? { code: 'reply', text: refusalText(result, settings.rejectScore) }
      : { code: 'continue' };
  };
}

/** Suspends the mailbox's sending on the platform's behalf, audited; true when it changed. */
async function suspendCompromised(app: AppContext, sender: Sender): Promise<boolean> {
  return runInTransaction(app, async (ctx) => {
    const changed = await writeSuspension(ctx, sender.mailboxId, true);
    if (changed) {
      await recordAudit(
        { ...ctx, actor: { type: 'system', label: 'outbound-scan' } },
        {
          action: 'sending.suspend',
          targetType: 'mailbox',
          targetId: sender.mailboxId,
          collectiveId: sender.collectiveId,
          details: { reason: COMPROMISED_ALERT },
        },
      );
    }
    return changed;
  });
}

function raiseCompromisedAlert(
  app: AppContext,
  sender: Sender,
  totals: WindowTotals,
  signals: Signal[],
  s: OutboundScanSettings,
  suspended: boolean,
): Promise<boolean> {
  const minutes = Math.round(s.windowMs / 60_000);
  const list = (lang: 'fr' | 'en') =>
    signals.map((k) => `${totals[k]} ${SIGNAL_TEXT[k][lang]} (≥ ${s.alert[k]})`).join(', ');
  const id = sender.mailboxId;
  return raiseAlert(app, {
    kind: COMPROMISED_ALERT,
    subject: id,
    severity: suspended ? 'critical' : 'warning',
    title: {
      fr: `Compte peut-être compromis : une boîte de ${sender.domainName}`,
      en: `Possibly compromised account: a mailbox of ${sender.domainName}`,
    },
    text: {
      fr:
        `La boîte ${id} (${sender.domainName}) a envoyé en ${minutes} min : ${list('fr')}. ` +
        (suspended
          ? `Ses envois sont suspendus ; « giroflee sending resume ${id} » les rend une fois le mot de passe changé.`
          : `Si ce n'est pas son usage, « giroflee sending suspend ${id} » suspend ses envois.`),
      en:
        `Mailbox ${id} (${sender.domainName}) sent within ${minutes} min: ${list('en')}. ` +
        (suspended
          ? `Its sending is suspended; "giroflee sending resume ${id}" gives it back once its password is changed.`
          : `If that is not its usual use, "giroflee sending suspend ${id}" suspends its sending.`),
    },
  });
}

/** Ends a mailbox's compromised-account alert (its window is clean again, or it was suspended). */
export function endCompromisedAlert(app: AppContext, mailboxId: string): Promise<boolean> {
  return resolveAlert(app, { kind: COMPROMISED_ALERT, subject: mailboxId });
}
