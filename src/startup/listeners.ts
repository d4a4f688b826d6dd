import type { Config } from '../config';
import type { LocalizedText } from '../errors';

/** A socket `giroflee serve` opens, and the setting that moves it. */
export interface Listener {
  name: LocalizedText;
  variable: string;
  /** How to set the variable to another port, for messages. */
  example: LocalizedText;
  host: string;
  port: number;
  protocols: Array<'tcp' | 'udp'>;
}

const endpointExample = (variable: string, host: string): LocalizedText => ({
  fr: `${variable}=${host}:<autre port>`,
  en: `${variable}=${host}:<another port>`,
});
const portExample = (variable: string): LocalizedText => ({
  fr: `${variable}=<autre port>`,
  en: `${variable}=<another port>`,
});

/**
 * Every listener of `giroflee serve` with this configuration: the README's table of listeners
 * is this list. The private mail stack's (GIROFLEE_MAILSTACK=1) listen on 127.0.0.1.
 */
export function listenersOf(config: Config): Listener[] {
  const endpoint = (
    variable: string,
    at: { host: string; port: number },
    name: LocalizedText,
    protocols: Listener['protocols'] = ['tcp'],
  ): Listener => ({ name, variable, example: endpointExample(variable, at.host), ...at, protocols });
  const stackPort = (variable: string, port: number, name: LocalizedText): Listener => ({
    name,
    variable,
    example: portExample(variable),
    host: '127.0.0.1',
    port,
    protocols: ['tcp'],
  });
  const list: Listener[] = [
    endpoint('GIROFLEE_HTTP', config.http, { fr: 'l’API HTTP', en: 'the HTTP API' }),
    endpoint('GIROFLEE_LMTP', config.lmtp, {
      fr: 'la passerelle entrante (LMTP)',
      en: 'the inbound gateway (LMTP)',
    }),
    endpoint('GIROFLEE_OUTBOUND', config.outbound, {
      fr: 'la passerelle sortante (SMTP)',
      en: 'the outbound gateway (SMTP)',
    }),
    ...(config.metrics.listen
      ? [
          endpoint('GIROFLEE_METRICS_LISTEN', config.metrics.listen, {
            fr: 'les métriques Prometheus',
            en: 'the Prometheus metrics',
          }),
        ]
      : []),
    endpoint('GIROFLEE_SUBMISSION_MILTER', config.submissionMilter, {
      fr: 'le milter de soumission (From/Sender)',
      en: 'the submission milter (From/Sender)',
    }),
    endpoint('GIROFLEE_SENDING_POLICY', config.sending.policy, {
      fr: 'le service de limites d’envoi (politique Postfix)',
      en: 'the sending-limits policy service (Postfix policy)',
    }),
    endpoint(
      'GIROFLEE_DNS_ZONE_LISTEN',
      config.dnsZoneListen,
      { fr: 'la zone DNS de la plateforme', en: 'the platform DNS zone' },
      ['udp', 'tcp'],
    ),
  ];
  if (config.mailstack) {
    const p = config.mailstackPorts;
    list.push(
      stackPort('GIROFLEE_MAILSTACK_MX', p.mx, { fr: 'le MX de Postfix', en: 'Postfix’s MX' }),
      stackPort('GIROFLEE_MAILSTACK_SUBMISSION', p.submission, {
        fr: 'la soumission de Postfix',
        en: 'Postfix’s submission',
      }),
      stackPort('GIROFLEE_MAILSTACK_SUBMISSIONS', p.submissions, {
        fr: 'la soumission TLS de Postfix',
        en: 'Postfix’s TLS submission',
      }),
      stackPort('GIROFLEE_MAILSTACK_IMAP', p.imap, { fr: 'l’IMAP de Dovecot', en: 'Dovecot’s IMAP' }),
      {
        ...stackPort('GIROFLEE_MANAGESIEVE', config.managesieve.port, {
          fr: 'le ManageSieve de Dovecot',
          en: 'Dovecot’s ManageSieve',
        }),
        example: endpointExample('GIROFLEE_MANAGESIEVE', '127.0.0.1'),
      },
      {
        ...stackPort('GIROFLEE_DOVEADM', config.doveadm.port, {
          fr: 'l’API HTTP doveadm de Dovecot',
          en: 'Dovecot’s doveadm HTTP API',
        }),
        example: endpointExample('GIROFLEE_DOVEADM', '127.0.0.1'),
      },
      {
        ...stackPort('GIROFLEE_DOVECOT_LMTP', config.dovecotLmtp.port, {
          fr: 'le LMTP de Dovecot',
          en: 'Dovecot’s LMTP',
        }),
        example: endpointExample('GIROFLEE_DOVECOT_LMTP', '127.0.0.1'),
      },
      {
        ...stackPort('GIROFLEE_REINJECT', config.reinject.port, {
          fr: 'la réinjection dans Postfix',
          en: 'the reinjection into Postfix',
        }),
        example: endpointExample('GIROFLEE_REINJECT', '127.0.0.1'),
      },
      stackPort('GIROFLEE_MAILSTACK_AUTH', p.auth, {
        fr: 'l’authentification de Dovecot pour Postfix',
        en: 'Dovecot’s authentication for Postfix',
      }),
      stackPort('GIROFLEE_MAILSTACK_QUOTA_STATUS', p.quotaStatus, {
        fr: 'le service de quota de Dovecot',
        en: 'Dovecot’s quota service',
      }),
    );
    if (config.mailstackDefence) {
      list.push(
        stackPort('GIROFLEE_MAILSTACK_RSPAMD_MILTER', p.rspamdMilter, {
          fr: 'le milter rspamd du MX',
          en: 'the MX’s rspamd milter',
        }),
        {
          ...stackPort('GIROFLEE_MAILSTACK_RSPAMD_FUZZY', p.rspamdFuzzy, {
            fr: 'le stockage flou de rspamd (signalements d’indésirables)',
            en: 'rspamd’s fuzzy storage (junk reports)',
          }),
          protocols: ['udp'],
        },
      );
      if (config.sending.scan) {
        list.push({
          ...stackPort('GIROFLEE_OUTBOUND_SCAN', config.sending.scan.rspamd.port, {
            fr: 'l’analyse rspamd du courrier soumis',
            en: 'rspamd’s scanning of submitted mail',
          }),
          example: endpointExample('GIROFLEE_OUTBOUND_SCAN', '127.0.0.1'),
        });
      }
    }
  }
  return list;
}
