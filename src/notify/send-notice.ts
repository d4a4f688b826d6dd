import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { AppContext } from '../context';
import type { LocalizedText } from '../errors';
import { logger } from '../logger';

export interface Notice {
  to: string[];
  subject: LocalizedText;
  text: LocalizedText;
}

/** Sends one message; injected in AppContext so tests can capture notices. */
export interface Notifier {
  send(message: { from: string; to: string[]; subject: string; text: string }): Promise<void>;
}

const transports = new WeakMap<AppContext, Notifier>();

/** The SMTP next hop from configuration (GIROFLEE_NOTIFY_SMTP, default the outbound gateway). */
export function smtpNotifier(ctx: AppContext): Notifier {
  const transport: Transporter = nodemailer.createTransport({
    host: ctx.config.notifySmtp.host,
    port: ctx.config.notifySmtp.port,
    secure: false,
    // The next hop is a loopback gateway of our own: no STARTTLS upgrade is expected there.
    ignoreTLS: true,
    name: ctx.config.platformHostname,
  });
  return {
    async send(message) {
      await transport.sendMail(message);
    },
  };
}

function notifierOf(ctx: AppContext): Notifier {
  if (ctx.notifier) return ctx.notifier;
  let n = transports.get(ctx);
  if (!n) {
    n = smtpNotifier(ctx);
    transports.set(ctx, n);
  }
  return n;
}

/**
 * One e-mail to people (admins of a collective, racines), French first then English, since
 * giroflee does not know each reader's language. Throws when the next hop refuses, so a
 * caller that must not lose the notice can retry later.
 */
export async function sendNotice(ctx: AppContext, notice: Notice): Promise<void> {
  if (notice.to.length === 0) return;
  const subject = `${notice.subject.fr} / ${notice.subject.en}`;
  const text = `${notice.text.fr}\n\n-- English --\n\n${notice.text.en}\n`;
  await notifierOf(ctx).send({ from: ctx.config.notifyFrom, to: notice.to, subject, text });
  logger.info({ recipients: notice.to.length, subject: notice.subject.en }, 'notice sent');
}
