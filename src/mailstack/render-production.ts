import type { Config, Endpoint } from '../config';
import { hashPassword } from '../auth/password-hash';
import type { MasterCredentials } from './master-user';
import { MailstackError, systemUser } from './processes';
import { renderDovecot } from './render-dovecot';
import { renderPostfix, RenderedFiles } from './render-postfix';
import {
  databaseParams,
  DEFAULT_DEFENCE,
  DEFAULT_PORTS,
  MailstackSettings,
  PRODUCTION_PATHS,
} from './settings';

export interface ProductionOptions {
  hostname: string;
  databaseUrl: string;
  tls: { certFile: string; keyFile: string };
  relayhost?: Endpoint;
  masterUser: MasterCredentials;
  stripUserAgent?: boolean;
}

/**
 * Production settings: Debian's paths, MX on 25, submission on 587 (STARTTLS required before
 * AUTH), IMAPS on 993, DNS on, chroot as Debian ships it; gateways and Dovecot LMTP on loopback.
 */
export async function productionSettings(config: Config, o: ProductionOptions): Promise<MailstackSettings> {
  const vmail = await systemUser('vmail').catch(() => {
    throw new MailstackError(
      'create the mail store user first: adduser --system --group --home /var/vmail vmail',
    );
  });
  return {
    profile: 'production',
    hostname: o.hostname,
    listen: '*',
    ports: {
      ...DEFAULT_PORTS,
      mx: 25,
      submission: 587,
      imap: 993,
      dovecotLmtp: config.dovecotLmtp.port,
      reinject: config.reinject.port,
    },
    paths: PRODUCTION_PATHS,
    database: databaseParams(o.databaseUrl),
    inbound: { kind: 'gateway', endpoint: config.lmtp },
    outboundFilter: config.outbound,
    submissionMilter: config.submissionMilter,
    sendingPolicy: config.sending.policy,
    relayhost: o.relayhost,
    stripUserAgent: o.stripUserAgent ?? false,
    masterUser: {
      user: o.masterUser.user,
      passwordHash: `{ARGON2ID}${await hashPassword(o.masterUser.password)}`,
    },
    tls: o.tls,
    vmail,
    defence: { ...DEFAULT_DEFENCE, dnsServers: config.dnsServers ?? [] },
  };
}

/** The files to copy into /etc/postfix and /etc/dovecot. */
export function renderProduction(s: MailstackSettings): { postfix: RenderedFiles; dovecot: RenderedFiles } {
  return { postfix: renderPostfix(s), dovecot: renderDovecot(s) };
}
