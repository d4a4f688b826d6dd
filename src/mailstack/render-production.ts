import { PRODUCTION_CLIENT_PORTS, type Config, type Endpoint } from '../config';
import { hashPassword } from '../auth/password-hash';
import type { MasterCredentials } from './master-user';
import { MailstackError, systemUser } from './processes';
import { renderDovecot, renderSieve } from './render-dovecot';
import { renderPostfix, RenderedFiles } from './render-postfix';
import { renderRspamd } from './render-rspamd';
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
  doveadmApiKey: string;
  stripUserAgent?: boolean;
  /** The mail store's owner whose ids the files name (see mailStoreOwner). */
  vmail: { user: string; uid: number; gid: number };
}

/** The ids a new mail store user gets unless told otherwise: above Debian's system range. */
export const DEFAULT_VMAIL_ID = 5000;

export interface MailStoreOwner {
  owner: { user: string; uid: number; gid: number };
  /** Commands that create the owner and the mail store, when the user does not exist yet. */
  create: string[];
}

/**
 * Whom Dovecot stores mail as. Rendering is a file step, done before the machine is ready: an
 * existing user's own ids are used (given ids must match them); a missing one gets the given ids,
 * or DEFAULT_VMAIL_ID, and the commands that create it with exactly those.
 */
export async function mailStoreOwner(
  user: string,
  ids: { uid?: number; gid?: number } = {},
): Promise<MailStoreOwner> {
  const existing = await systemUser(user).catch(() => null);
  if (existing) {
    if ((ids.uid ?? existing.uid) !== existing.uid || (ids.gid ?? existing.gid) !== existing.gid) {
      throw new MailstackError(
        `user ${user} exists with uid ${existing.uid} and gid ${existing.gid}: drop --vmail-uid/--vmail-gid or name other ids`,
      );
    }
    return { owner: existing, create: [] };
  }
  const uid = ids.uid ?? DEFAULT_VMAIL_ID;
  const gid = ids.gid ?? uid;
  const home = PRODUCTION_PATHS.mailRoot;
  return {
    owner: { user, uid, gid },
    create: [
      `groupadd --system --gid ${gid} ${user}`,
      `useradd --system --uid ${uid} --gid ${gid} --home-dir ${home} --no-create-home --shell /usr/sbin/nologin ${user}`,
      `install -d -o ${user} -g ${user} -m 0700 ${home}`,
    ],
  };
}

/**
 * Production settings: Debian's paths, MX on 25, submission on 465 (implicit TLS) and 587
 * (STARTTLS required before AUTH), IMAPS on 993, DNS on, chroot as Debian ships it; gateways,
 * Dovecot LMTP, ManageSieve and the doveadm HTTP API on loopback.
 */
export async function productionSettings(config: Config, o: ProductionOptions): Promise<MailstackSettings> {
  return {
    profile: 'production',
    hostname: o.hostname,
    listen: '*',
    ports: {
      ...DEFAULT_PORTS,
      mx: 25,
      submission: PRODUCTION_CLIENT_PORTS.submission,
      submissions: PRODUCTION_CLIENT_PORTS.submissions,
      imap: PRODUCTION_CLIENT_PORTS.imaps,
      dovecotLmtp: config.dovecotLmtp.port,
      reinject: config.reinject.port,
      managesieve: config.managesieve.port,
      doveadm: config.doveadm.port,
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
    doveadmApiKey: o.doveadmApiKey,
    vmail: o.vmail,
    defence: { ...DEFAULT_DEFENCE, dnsServers: config.dnsServers ?? [] },
    mxHygiene: config.mxHygiene,
  };
}

/** The files to copy into /etc/postfix, /etc/dovecot, /etc/dovecot/sieve (to compile) and /etc/rspamd. */
export function renderProduction(
  s: MailstackSettings,
): Record<'postfix' | 'dovecot' | 'sieve' | 'rspamd', RenderedFiles> {
  return {
    postfix: renderPostfix(s),
    dovecot: renderDovecot(s),
    sieve: renderSieve(s),
    rspamd: renderRspamd(s),
  };
}
