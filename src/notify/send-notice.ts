import nodemailer from 'nodemailer';
import type { Config } from '../config';
import type { Notifier, ServiceContext } from '../context';
import type { LocalizedText } from '../errors';
import { logger } from '../logger';
import { perConfig } from '../per-config';

export interface Notice {
  to: string[];
  subject: LocalizedText;
  text: LocalizedText;
}

/** The SMTP next hop from configuration (GIROFLEE_NOTIFY_SMTP, default the outbound gateway). */
export function smtpNotifier(config: Config): Notifier {
  const transport = nodemailer.createTransport({
    host: config.notifySmtp.host,
    port: config.notifySmtp.port,
    secure: false,
    // The next hop is a loopback gateway of our own: no STARTTLS upgrade is expected there.
    ignoreTLS: true,
    name: config.platformHostname,
  });
  return {
    async send(message) {
      await transport.sendMail(message);
    },
  };
}

const configuredNotifier = perConfig(smtpNotifier);
const notifierOf = (ctx: ServiceContext): Notifier => ctx.notifier ?? configuredNotifier(ctx.config);

/**
 * One e-mail to people (admins of a collective, racines), French first then English, since
 * giroflee does not know each reader's language. Throws when the next hop refuses, so a
 * caller that must not lose the notice can retry later.
 */
export async function sendNotice(ctx: ServiceContext, notice: Notice): Promise<void> {
  if (notice.to.length === 0) return;
  const subject = `${notice.subject.fr} / ${notice.subject.en}`;
  const text = `${notice.text.fr}\n\n-- English --\n\n${notice.text.en}\n`;
  await notifierOf(ctx).send({ from: ctx.config.notifyFrom, to: notice.to, subject, text });
  logger.info({ recipients: notice.to.length, subject: notice.subject.en }, 'notice sent');
}
