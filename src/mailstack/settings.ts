import path from 'node:path';
import type { Endpoint, MxHygiene } from '../config';

/** Loopback ports of a private stack (defaults in docs/architecture.md, "Ports"). */
export interface MailstackPorts {
  /** Postfix MX (SMTP in). */
  mx: number;
  /** Postfix submission (SASL through Dovecot). */
  submission: number;
  imap: number;
  /** Dovecot LMTP: where the inbound gateway (or Postfix directly) delivers. */
  dovecotLmtp: number;
  /** Dovecot auth listener Postfix's SASL talks to. */
  auth: number;
  /** Dovecot's quota-status policy service, asked by Postfix at RCPT. */
  quotaStatus: number;
  /** Postfix smtpd that takes mail back from the outbound gateway (content_filter return path). */
  reinject: number;
  /** rspamd's milter (its proxy worker scanning by itself), asked by the MX smtpd. */
  rspamdMilter: number;
  /** rspamd's fuzzy storage (UDP): junk reports are written there. */
  rspamdFuzzy: number;
  /**
   * rspamd's normal worker (HTTP /checkv2), where giroflee scans submitted mail
   * (GIROFLEE_OUTBOUND_SCAN); a private stack runs it only when given.
   */
  rspamdScan?: number;
  /** Postfix submission over implicit TLS (RFC 8314 §3.3; 465 in production). */
  submissions: number;
  /** Dovecot ManageSieve (RFC 5804), on loopback: giroflee's API edits the filters through it. */
  managesieve: number;
  /** Dovecot's doveadm HTTP API, on loopback: giroflee reads quota usage and kicks sessions there. */
  doveadm: number;
}

export const DEFAULT_PORTS: MailstackPorts = {
  mx: 2525,
  submission: 2587,
  imap: 1143,
  dovecotLmtp: 2424,
  auth: 12345,
  quotaStatus: 12340,
  reinject: 10026,
  rspamdMilter: 11332,
  rspamdFuzzy: 11335,
  rspamdScan: 11333,
  submissions: 2465,
  managesieve: 4190,
  doveadm: 12341,
};

/** How Postfix and Dovecot reach PostgreSQL (the `mta` views). */
export interface DatabaseParams {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function databaseParams(url: string): DatabaseParams {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
  };
}

/** The inbound defence (rspamd as a milter on the MX), see render-rspamd.ts. */
export interface DefenceSettings {
  /** rspamd scores from which a message is refused during the SMTP transaction (never bounced). */
  rejectScore: number;
  /** rspamd scores from which a message is marked `X-Spam: Yes` and filed in Junk. */
  junkScore: number;
  /**
   * Resolvers for SPF, DKIM, DMARC and ARC; tests name a fixture server, never the internet.
   * Empty (production only): the system's.
   */
  dnsServers: Endpoint[];
  /** How often the fuzzy storage writes reported digests to disk (they count from then on). */
  fuzzySyncSeconds: number;
}

export const DEFAULT_DEFENCE: Omit<DefenceSettings, 'dnsServers'> = {
  rejectScore: 15,
  junkScore: 6,
  fuzzySyncSeconds: 5,
};

/** Where inbound mail for hosted mailboxes goes after Postfix accepted it. */
export type InboundRoute = { kind: 'gateway'; endpoint: Endpoint } | { kind: 'dovecot' };

/**
 * Everything the Postfix and Dovecot configurations are rendered from. Two profiles:
 * `private` (dev, tests, bench: one folder, loopback, no DNS, no TLS, no chroot) and
 * `production` (Debian's standard paths, public ports, TLS, DNS, chroot as Debian ships it).
 */
export interface MailstackSettings {
  profile: 'private' | 'production';
  hostname: string;
  /** Address the public listeners bind to: 127.0.0.1 in the private profile. */
  listen: string;
  ports: MailstackPorts;
  paths: MailstackPaths;
  database: DatabaseParams;
  inbound: InboundRoute;
  /** Outbound gateway (Postfix content_filter for submitted mail); null sends submitted mail directly. */
  outboundFilter: Endpoint | null;
  /** Milter holding From/Sender to the login at submission; null leaves the headers unchecked. */
  submissionMilter: Endpoint | null;
  /**
   * giroflee's sending policy (src/sending), asked by the submission smtpd at DATA: per-mailbox
   * limits and suspension. Null asks none (test stacks that do not test it).
   */
  sendingPolicy: Endpoint | null;
  /** Next hop for mail leaving the platform; unset in the private profile holds it in the queue. */
  relayhost?: Endpoint;
  /** Remove User-Agent and X-Mailer from submitted mail as well. */
  stripUserAgent: boolean;
  /** Dovecot master user for the webmail; the hash is Dovecot's `{ARGON2ID}` form. */
  masterUser?: { user: string; passwordHash: string };
  /**
   * Certificate and key files: production's for submission and IMAPS; the private profile's,
   * self-signed at each start, for submission over implicit TLS only.
   */
  tls?: { certFile: string; keyFile: string };
  /** Secret of Dovecot's doveadm HTTP API (quota usage); the listener is off without it. */
  doveadmApiKey?: string;
  /** uid/gid that own the mail store. */
  vmail: { user: string; uid: number; gid: number };
  /** Production only: postscreen and per-client limits on the MX (absent: none). */
  mxHygiene?: MxHygiene;
  /** rspamd in front of the MX; null runs none (Postfix accepts what its own checks pass). */
  defence: DefenceSettings | null;
}

export interface MailstackPaths {
  postfixConfigDir: string;
  postfixQueueDir: string;
  postfixDataDir: string;
  /** Private profile only: Postfix writes its log here instead of syslog. */
  postfixLogFile?: string;
  dovecotConfigFile: string;
  dovecotBaseDir: string;
  dovecotStateDir: string;
  dovecotLogFile?: string;
  mailRoot: string;
  /** rspamd's local configuration folder ($LOCAL_CONFDIR). */
  rspamdConfigDir: string;
  /** Private profile: rspamd's pid file and fuzzy database. */
  rspamdRunDir?: string;
  /** Private profile: rspamd's compiled regular expressions (`hs_cache_dir`, hyperscan-cache.ts). */
  rspamdCacheDir?: string;
  rspamdLogFile?: string;
  /** Sieve scripts rendered by giroflee (Junk filing, junk reports) and the program they call. */
  sieveDir: string;
  /** Private profile only: the self-signed certificate made at each start. */
  tlsDir?: string;
}

/** The layout of a private stack under one folder (`<data>/mailstack`, or a test's temp dir). */
export function privatePaths(dir: string): MailstackPaths {
  const root = path.resolve(dir);
  return {
    postfixConfigDir: path.join(root, 'postfix'),
    postfixQueueDir: path.join(root, 'spool'),
    postfixDataDir: path.join(root, 'postfix-data'),
    postfixLogFile: path.join(root, 'log', 'postfix.log'),
    dovecotConfigFile: path.join(root, 'dovecot', 'dovecot.conf'),
    dovecotBaseDir: path.join(root, 'dovecot', 'run'),
    dovecotStateDir: path.join(root, 'dovecot', 'state'),
    dovecotLogFile: path.join(root, 'log', 'dovecot.log'),
    mailRoot: path.join(root, 'mail'),
    rspamdConfigDir: path.join(root, 'rspamd'),
    rspamdRunDir: path.join(root, 'rspamd-run'),
    rspamdCacheDir: path.join(root, 'rspamd-run', 'hyperscan'),
    rspamdLogFile: path.join(root, 'log', 'rspamd.log'),
    sieveDir: path.join(root, 'sieve'),
    tlsDir: path.join(root, 'tls'),
  };
}

/** Debian's standard locations, used by `giroflee mta render`. */
export const PRODUCTION_PATHS: MailstackPaths = {
  postfixConfigDir: '/etc/postfix',
  postfixQueueDir: '/var/spool/postfix',
  postfixDataDir: '/var/lib/postfix',
  dovecotConfigFile: '/etc/dovecot/dovecot.conf',
  dovecotBaseDir: '/run/dovecot',
  dovecotStateDir: '/var/lib/dovecot',
  mailRoot: '/var/vmail',
  rspamdConfigDir: '/etc/rspamd',
  sieveDir: '/etc/dovecot/sieve',
};
