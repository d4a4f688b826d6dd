import crypto from 'node:crypto';
import { build } from 'plist';
import type { Config } from '../config';

type MailClientSettings = Config['mailClients'];

/** A UUID derived from its inputs: downloading the profile twice gives the same profile. */
function stableUuid(...parts: string[]): string {
  const h = crypto.createHash('sha256').update(parts.join('\0')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}

/** The reverse-DNS prefix of payload identifiers: the platform's host name, reversed. */
const reverse = (host: string) => host.split('.').reverse().join('.');

/**
 * An Apple configuration profile (`.mobileconfig`, unsigned) that adds one IMAP account to iOS,
 * iPadOS and macOS Mail (payload `com.apple.mail.managed`). It carries no password: the device
 * asks for one when the profile is installed, and an app password is the one to give.
 */
export function appleMobileconfig(
  settings: MailClientSettings,
  platformHost: string,
  mailbox: { id: string; address: string; displayName: string | null },
): string {
  const imap = settings.imap[0];
  const smtp = settings.smtp[0];
  const id = `${reverse(platformHost)}.giroflee.mail.${mailbox.id}`;
  const account = {
    PayloadType: 'com.apple.mail.managed',
    PayloadVersion: 1,
    PayloadIdentifier: `${id}.account`,
    PayloadUUID: stableUuid(mailbox.id, 'account'),
    PayloadDisplayName: mailbox.address,
    PayloadDescription: `IMAP ${mailbox.address}`,
    EmailAccountDescription: mailbox.address,
    EmailAccountName: mailbox.displayName ?? mailbox.address,
    EmailAccountType: 'EmailTypeIMAP',
    EmailAddress: mailbox.address,
    IncomingMailServerAuthentication: 'EmailAuthPassword',
    IncomingMailServerHostName: imap.host,
    IncomingMailServerPortNumber: imap.port,
    IncomingMailServerUseSSL: imap.security !== 'none',
    IncomingMailServerUsername: mailbox.address,
    OutgoingMailServerAuthentication: 'EmailAuthPassword',
    OutgoingMailServerHostName: smtp.host,
    OutgoingMailServerPortNumber: smtp.port,
    OutgoingMailServerUseSSL: smtp.security !== 'none',
    OutgoingMailServerUsername: mailbox.address,
    OutgoingPasswordSameAsIncomingPassword: true,
    PreventMove: false,
    PreventAppSheet: false,
    SMIMEEnabled: false,
  };
  return build({
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: id,
    PayloadUUID: stableUuid(mailbox.id, 'profile'),
    PayloadDisplayName: `Courrier / Mail — ${mailbox.address}`,
    PayloadDescription:
      'Ajoute la boîte à Mail. Donnez-lui un mot de passe d’application. / Adds the mailbox to Mail. Give it an app password.',
    PayloadOrganization: platformHost,
    PayloadRemovalDisallowed: false,
    PayloadContent: [account],
  });
}
