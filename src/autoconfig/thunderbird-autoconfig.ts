import { create } from 'xmlbuilder';
import type { ClientService, Config } from '../config';

type MailClientSettings = Config['mailClients'];

// Thunderbird's `socketType` values (its autoconfig file format, version 1.1).
const SOCKET_TYPE: Record<ClientService['security'], string> = {
  tls: 'SSL',
  starttls: 'STARTTLS',
  none: 'plain',
};

const server = (type: 'imap' | 'smtp', s: ClientService) => ({
  '@type': type,
  hostname: s.host,
  port: s.port,
  socketType: SOCKET_TYPE[s.security],
  // Thunderbird replaces the placeholder with the address the person typed.
  username: '%EMAILADDRESS%',
  authentication: 'password-cleartext',
});

/**
 * The Thunderbird autoconfig document (`clientConfig` version 1.1) for one hosted domain, served
 * at `/mail/config-v1.1.xml` (host `autoconfig.<domain>`) and
 * `/.well-known/autoconfig/mail/config-v1.1.xml` (host `<domain>`). Other programs read it too
 * (K-9/Thunderbird for Android, Evolution, KMail, Nextcloud Mail).
 */
export function thunderbirdAutoconfig(settings: MailClientSettings, domain: string): string {
  return create(
    {
      clientConfig: {
        '@version': '1.1',
        emailProvider: {
          '@id': domain,
          domain,
          displayName: domain,
          displayShortName: domain,
          incomingServer: settings.imap.map((s) => server('imap', s)),
          outgoingServer: settings.smtp.map((s) => server('smtp', s)),
        },
      },
    },
    { encoding: 'UTF-8' },
  ).end({ pretty: true });
}
