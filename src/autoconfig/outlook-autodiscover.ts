import { DOMParser } from '@xmldom/xmldom';
import { create } from 'xmlbuilder';
import type { ClientService, Config } from '../config';
import { checkEmailAddress, type EmailAddress } from '../names/email-address';

type MailClientSettings = Config['mailClients'];

const RESPONSE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
const OUTLOOK_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

/**
 * The address an Outlook autodiscover request (POX, `EMailAddress` in the request schema
 * …/outlook/requestschema/2006) asks about; undefined when the body is not such a request.
 * xmldom reads no external entity and no DTD subset, so the body cannot make us fetch anything.
 */
export function requestedAddress(body: string): EmailAddress | undefined {
  let text: string | undefined;
  try {
    const doc = new DOMParser({ onError: () => undefined }).parseFromString(body, 'text/xml');
    text = doc.getElementsByTagNameNS('*', 'EMailAddress')[0]?.textContent ?? undefined;
  } catch {
    return undefined;
  }
  if (!text) return undefined;
  const checked = checkEmailAddress(text);
  return checked.ok ? checked.value : undefined;
}

// Outlook's `Encryption` element, which overrides `SSL`: TLS there means STARTTLS.
const ENCRYPTION: Record<ClientService['security'], string> = { tls: 'SSL', starttls: 'TLS', none: 'None' };

const protocol = (type: 'IMAP' | 'SMTP', s: ClientService, login: string) => ({
  Type: type,
  Server: s.host,
  Port: s.port,
  DomainRequired: 'off',
  LoginName: login,
  SPA: 'off',
  SSL: s.security === 'none' ? 'off' : 'on',
  Encryption: ENCRYPTION[s.security],
  AuthRequired: 'on',
  ...(type === 'SMTP' ? { UsePOPAuth: 'off', SMTPLast: 'off' } : {}),
});

/**
 * The POX autodiscover answer (response schema …/outlook/responseschema/2006a) for one address:
 * IMAP and the preferred submission service, the login being the address itself. Outlook reads
 * one server per protocol type, so only the first of each is given.
 */
export function outlookAutodiscover(settings: MailClientSettings, address: EmailAddress): string {
  return create(
    {
      Autodiscover: {
        '@xmlns': RESPONSE_NS,
        Response: {
          '@xmlns': OUTLOOK_NS,
          Account: {
            AccountType: 'email',
            Action: 'settings',
            Protocol: [
              protocol('IMAP', settings.imap[0], address.address),
              protocol('SMTP', settings.smtp[0], address.address),
            ],
          },
        },
      },
    },
    { encoding: 'utf-8' },
  ).end({ pretty: true });
}
