import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** A `host:port` pair on which a service listens or which it calls. */
export interface Endpoint {
  host: string;
  port: number;
}

export function parseEndpoint(value: string, defaultPort: number): Endpoint {
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(value.trim());
  if (!match) throw new Error(`invalid host:port "${value}"`);
  return { host: match[1], port: match[2] ? Number(match[2]) : defaultPort };
}

/** The ports production serves mail programs on (RFC 8314): rendered, announced and published. */
export const PRODUCTION_CLIENT_PORTS = { imaps: 993, submissions: 465, submission: 587 } as const;

/** One way a mail program reaches IMAP or SMTP submission, as autoconfig files announce it. */
export interface ClientService {
  host: string;
  port: number;
  /** `tls`: implicit TLS (RFC 8314); `starttls`: upgrade required; `none`: private stack only. */
  security: 'tls' | 'starttls' | 'none';
}

const envSchema = z.object({
  GIROFLEE_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().optional(),
  GIROFLEE_HTTP: z.string().default('127.0.0.1:8080'),
  GIROFLEE_LMTP: z.string().default('127.0.0.1:10024'),
  GIROFLEE_OUTBOUND: z.string().default('127.0.0.1:10025'),
  GIROFLEE_SUBMISSION_MILTER: z.string().default('127.0.0.1:10027'),
  GIROFLEE_REINJECT: z.string().default('127.0.0.1:10026'),
  GIROFLEE_DOVECOT_LMTP: z.string().default('127.0.0.1:2424'),
  GIROFLEE_DNS_ZONE_LISTEN: z.string().default('127.0.0.1:5300'),
  GIROFLEE_DNS_SERVERS: z.string().optional(),
  GIROFLEE_DNS_PRIVATE_NAMESERVERS: z.string().default(''),
  // DNS: platform settings behind every domain's record plan and checks (src/dns).
  GIROFLEE_DNS_AUTH_PORT: z.coerce.number().int().min(1).max(65535).default(53),
  GIROFLEE_DNS_TIMEOUT_MS: z.coerce.number().int().positive().default(2000),
  GIROFLEE_DNS_CHECK_DEADLINE_MS: z.coerce.number().int().positive().default(10000),
  GIROFLEE_DNS_RECHECK_MINUTES: z.coerce.number().positive().default(60),
  GIROFLEE_DNS_RECHECK_CONCURRENCY: z.coerce.number().int().positive().default(64),
  GIROFLEE_MX_HOSTS: z.string().optional(),
  GIROFLEE_SPF_INCLUDE: z.string().optional(),
  GIROFLEE_SENDING_IPS: z.string().default(''),
  GIROFLEE_DKIM_ZONE: z.string().optional(),
  GIROFLEE_DKIM_ED25519: z.enum(['0', '1']).default('0'),
  GIROFLEE_DKIM_ROTATION_DAYS: z.coerce.number().positive().default(180),
  GIROFLEE_DKIM_RETENTION_DAYS: z.coerce.number().positive().default(7),
  GIROFLEE_DNS_ZONE_NS: z.string().optional(),
  GIROFLEE_MTA_STS_MODE: z.enum(['enforce', 'testing', 'none']).default('testing'),
  GIROFLEE_TLSRPT_RUA: z.string().optional(),
  GIROFLEE_DMARC_POLICY: z.enum(['none', 'quarantine', 'reject']).default('quarantine'),
  GIROFLEE_DMARC_RUA: z.string().optional(),
  GIROFLEE_AUTOCONFIG_HOST: z.string().optional(),
  GIROFLEE_IMAP_HOST: z.string().optional(),
  GIROFLEE_SUBMISSION_HOST: z.string().optional(),
  GIROFLEE_NOTIFY_SMTP: z.string().optional(),
  GIROFLEE_NOTIFY_FROM: z.string().optional(),
  // Alerts to the racines (src/alerts).
  GIROFLEE_ALERT_WEBHOOK: z
    .string()
    .optional()
    .refine((v) => !v || /^https?:\/\/[^\s]+$/.test(v), 'GIROFLEE_ALERT_WEBHOOK must be an http(s) URL'),
  GIROFLEE_ALERT_EMAIL: z.enum(['0', '1']).default('1'),
  GIROFLEE_ALERT_EMAIL_TO: z.string().optional(),
  // What this host watches (src/monitoring): its name among giroflee copies, Postfix, disks, certificates.
  GIROFLEE_NODE_NAME: z.string().optional(),
  GIROFLEE_POSTFIX_CONFIG_DIR: z.string().default('/etc/postfix'),
  GIROFLEE_MAIL_ROOT: z.string().optional(),
  GIROFLEE_TLS_CERT_FILES: z.string().default(''),
  GIROFLEE_DISK_ALERT_PERCENT: z.coerce.number().min(1).max(100).default(90),
  GIROFLEE_MONITOR_SECONDS: z.coerce.number().positive().default(60),
  GIROFLEE_QUEUE_ALERT_MESSAGES: z.coerce.number().int().positive().default(500),
  GIROFLEE_DEFERRED_ALERT_HOURS: z.coerce.number().positive().default(6),
  // Relays (src/relay): outbound gateway, circuit breaker and health probe.
  GIROFLEE_RELAY_TIMEOUT_SECONDS: z.coerce.number().positive().default(30),
  GIROFLEE_RELAY_BREAKER_FAILURES: z.coerce.number().int().positive().default(3),
  GIROFLEE_RELAY_BREAKER_COOLDOWN_SECONDS: z.coerce.number().positive().default(60),
  GIROFLEE_RELAY_PROBE_SECONDS: z.coerce.number().positive().default(60),
  GIROFLEE_DNSBL_ZONES: z.string().default(''),
  // MX hygiene in the production render (postscreen, per-client limits): docs/mail-defence.md.
  GIROFLEE_MX_DNSBL_SITES: z
    .string()
    .default('zen.spamhaus.org*3,bl.spamcop.net*2')
    .refine(
      (v) => v.split(',').every((e) => !e.trim() || /^[a-z0-9.-]+(=[0-9.[\];]+)?(\*-?\d+)?$/i.test(e.trim())),
      'GIROFLEE_MX_DNSBL_SITES: zone[=filter][*weight], comma-separated',
    ),
  GIROFLEE_MX_DNSBL_THRESHOLD: z.coerce.number().int().min(1).default(3),
  GIROFLEE_MX_CONNECTIONS_PER_CLIENT: z.coerce.number().int().min(1).default(10),
  GIROFLEE_MX_CONNECTION_RATE: z.coerce.number().int().min(1).default(30),
  GIROFLEE_MX_MESSAGE_RATE: z.coerce.number().int().min(1).default(60),
  GIROFLEE_MX_RECIPIENT_RATE: z.coerce.number().int().min(1).default(200),
  // Outbound sending limits per mailbox (src/sending), the platform's defaults.
  GIROFLEE_SENDING_POLICY: z.string().default('127.0.0.1:10028'),
  GIROFLEE_SENDING_HOUR_MESSAGES: z.coerce.number().int().min(0).default(100),
  GIROFLEE_SENDING_HOUR_RECIPIENTS: z.coerce.number().int().min(0).default(300),
  GIROFLEE_SENDING_DAY_MESSAGES: z.coerce.number().int().min(0).default(500),
  GIROFLEE_SENDING_DAY_RECIPIENTS: z.coerce.number().int().min(0).default(1500),
  GIROFLEE_SENDING_BULK_AFTER: z.coerce.number().int().min(0).default(10),
  // Outbound scanning (src/sending/scan-submission.ts): rspamd's normal worker, asked at
  // submission. `auto`: on (127.0.0.1:11333) when giroflee runs its private stack with rspamd,
  // which then starts that worker; off otherwise, until a racine names the host's rspamd.
  GIROFLEE_OUTBOUND_SCAN: z.string().default('auto'),
  GIROFLEE_OUTBOUND_SCAN_TIMEOUT_SECONDS: z.coerce.number().positive().default(20),
  GIROFLEE_OUTBOUND_REJECT_SCORE: z.coerce.number().positive().default(15),
  GIROFLEE_OUTBOUND_HIGH_SCORE: z.coerce.number().positive().default(6),
  GIROFLEE_OUTBOUND_WINDOW_MINUTES: z.coerce.number().positive().default(60),
  GIROFLEE_OUTBOUND_ALERT_RECIPIENTS: z.coerce.number().int().positive().default(200),
  GIROFLEE_OUTBOUND_ALERT_NEW_DOMAINS: z.coerce.number().int().positive().default(30),
  GIROFLEE_OUTBOUND_ALERT_HIGH_SCORES: z.coerce.number().int().positive().default(3),
  GIROFLEE_OUTBOUND_SUSPEND: z.enum(['0', '1']).default('0'),
  GIROFLEE_OUTBOUND_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  GIROFLEE_MASTER_KEY_FILE: z.string().optional(),
  // Inbound encrypting gateway (src/encryption).
  GIROFLEE_LMTP_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  GIROFLEE_LMTP_TIMEOUT_SECONDS: z.coerce.number().positive().default(120),
  GIROFLEE_DOVECOT_LMTP_CONNECTIONS: z.coerce.number().int().positive().default(4),
  GIROFLEE_ALLOW_UNENCRYPTED_MAILBOXES: z.enum(['0', '1']).default('0'),
  GIROFLEE_PLATFORM_HOSTNAME: z.string().default('mail.giroflee.test'),
  GIROFLEE_MAILSTACK: z.enum(['0', '1']).default('0'),
  GIROFLEE_MAILSTACK_MX: z.coerce.number().int().min(1).max(65535).default(2525),
  GIROFLEE_MAILSTACK_SUBMISSION: z.coerce.number().int().min(1).max(65535).default(2587),
  GIROFLEE_MAILSTACK_IMAP: z.coerce.number().int().min(1).max(65535).default(1143),
  GIROFLEE_MAILSTACK_AUTH: z.coerce.number().int().min(1).max(65535).default(12345),
  GIROFLEE_MAILSTACK_QUOTA_STATUS: z.coerce.number().int().min(1).max(65535).default(12340),
  GIROFLEE_MAILSTACK_RELAYHOST: z.string().optional(),
  // The private stack's inbound defence (rspamd as the MX's milter): 0 runs Postfix and Dovecot only.
  GIROFLEE_MAILSTACK_DEFENCE: z.enum(['0', '1']).default('1'),
  GIROFLEE_MAILSTACK_RSPAMD_MILTER: z.coerce.number().int().min(1).max(65535).default(11332),
  GIROFLEE_MAILSTACK_RSPAMD_FUZZY: z.coerce.number().int().min(1).max(65535).default(11335),
  // Webmail (src/mail): the Dovecot IMAP and the Postfix submission it proxies to.
  GIROFLEE_WEBMAIL_IMAP: z.string().optional(),
  GIROFLEE_WEBMAIL_SUBMISSION: z.string().optional(),
  GIROFLEE_WEBMAIL_IDLE_SECONDS: z.coerce.number().positive().default(300),
  // What giroflee keeps about traffic (sessions, failed-login counters, audit details), and the audit log itself.
  GIROFLEE_TRAFFIC_RETENTION_DAYS: z.coerce.number().positive().default(7),
  GIROFLEE_AUDIT_RETENTION_DAYS: z.coerce.number().positive().default(365),
  GIROFLEE_MAILSTACK_SUBMISSIONS: z.coerce.number().int().min(1).max(65535).default(2465),
  // Mail programs (src/autoconfig, src/sieve, src/quota): Dovecot's loopback services giroflee calls.
  GIROFLEE_MANAGESIEVE: z.string().default('127.0.0.1:4190'),
  GIROFLEE_DOVEADM: z.string().default('127.0.0.1:12341'),
  GIROFLEE_QUOTA_WARNING_PERCENT: z.coerce.number().int().min(1).max(100).default(90),
  GIROFLEE_QUOTA_CHECK_MINUTES: z.coerce.number().positive().default(30),
  GIROFLEE_SESSION_HOURS: z.coerce.number().positive().default(12),
  GIROFLEE_SECURE_COOKIES: z.enum(['0', '1']).default('0'),
  GIROFLEE_TRUST_PROXY: z.string().optional(),
  // Prometheus metrics: their own loopback listener ('off' for none), a bearer token on any /metrics.
  GIROFLEE_METRICS_LISTEN: z.string().default('127.0.0.1:9464'),
  GIROFLEE_METRICS_TOKEN: z
    .string()
    .optional()
    .refine((v) => !v || v.length >= 24, 'GIROFLEE_METRICS_TOKEN must be at least 24 characters'),
  GIROFLEE_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('production'),
});

/**
 * MX hygiene in production: postscreen in front of the MX's smtpd, and limits on what one client
 * may do. The private profile has none (no DNS, every client is loopback).
 */
export interface MxHygiene {
  /** postscreen_dnsbl_sites entries, `zone[=filter][*weight]` (postscreen(8)). */
  dnsblSites: string[];
  /** The summed weight from which a client is refused. */
  dnsblThreshold: number;
  /** Simultaneous connections from one client. */
  connectionsPerClient: number;
  /** Per minute and per client: connections, messages, recipients. */
  connectionRate: number;
  messageRate: number;
  recipientRate: number;
}

export interface Config {
  dataDir: string;
  databaseUrl?: string;
  http: Endpoint;
  lmtp: Endpoint;
  outbound: Endpoint;
  /** The milter Postfix's submission asks about From/Sender (src/relay/submission-milter.ts). */
  submissionMilter: Endpoint;
  reinject: Endpoint;
  dovecotLmtp: Endpoint;
  dnsZoneListen: Endpoint;
  /** Resolvers used by DNS checks; undefined means the system's. */
  dnsServers?: Endpoint[];
  dns: DnsSettings;
  /** SMTP next hop for notices to admins (default: the outbound gateway). */
  notifySmtp: Endpoint;
  notifyFrom: string;
  alerts: AlertSettings;
  monitor: MonitorSettings;
  relay: RelaySettings;
  sending: SendingSettings;
  masterKeyFile: string;
  encryption: EncryptionSettings;
  platformHostname: string;
  mailstack: boolean;
  /** Loopback ports of the private mail stack (`giroflee mailstack up`). */
  mailstackPorts: {
    mx: number;
    submission: number;
    submissions: number;
    imap: number;
    auth: number;
    quotaStatus: number;
    rspamdMilter: number;
    rspamdFuzzy: number;
  };
  /** postscreen and per-client limits on the production MX (`giroflee mta render`). */
  mxHygiene: MxHygiene;
  /** rspamd in front of the private stack's MX (GIROFLEE_MAILSTACK_DEFENCE, on by default). */
  mailstackDefence: boolean;
  /** Where the private stack sends mail leaving the platform; unset keeps it queued. */
  mailstackRelayhost?: Endpoint;
  webmail: WebmailSettings;
  /** Dovecot's ManageSieve, where giroflee writes each mailbox's filters and vacation reply. */
  managesieve: Endpoint;
  /** Dovecot's doveadm HTTP API, where giroflee reads quota usage and kicks suspended mailboxes' sessions. */
  doveadm: Endpoint;
  /** What autoconfig, autodiscover and the Apple profile tell mail programs. */
  mailClients: { imap: ClientService[]; smtp: ClientService[] };
  quota: { warningPercent: number; checkIntervalMs: number };
  sessionHours: number;
  retention: RetentionSettings;
  secureCookies: boolean;
  /**
   * Express's `trust proxy` (e.g. `loopback`) when a reverse proxy fronts giroflee, so each
   * client gets its own login throttle instead of all sharing the proxy's. Never logged.
   */
  trustProxy: string | false;
  metrics: MetricsSettings;
  /**
   * Where people reach the web app (`https://mail.example.org`), for the links giroflee writes
   * in e-mails and command output. Default: the HTTP listener's own address.
   */
  publicUrl: string;
  logLevel: string;
  development: boolean;
}

/** How long giroflee keeps what it stores about traffic (src/retention). */
export interface RetentionSettings {
  /** Ended sessions, failed-login counters, the details of audit entries. */
  trafficDays: number;
  /** Audit entries themselves (who did what, when), and resolved alerts. */
  auditDays: number;
}

/** Where Prometheus reads giroflee's metrics. */
export interface MetricsSettings {
  /** Their own listener, serving only /metrics; undefined when turned off. */
  listen?: Endpoint;
  /**
   * When set, every /metrics asks for `Authorization: Bearer <token>`, and the API's listener
   * serves /metrics too (for a Prometheus that only reaches giroflee through the proxy).
   */
  token?: string;
}

/** What each copy of giroflee watches on its host and in the database (src/monitoring). */
export interface MonitorSettings {
  /** This copy's name in alerts about its host (its disk, its Postfix): the host name by default. */
  nodeName: string;
  /** Production Postfix's configuration (its queue, its certificate); the private stack's has its own. */
  postfixConfigDir: string;
  /** Dovecot's mail store, when not the private stack's or production's /var/vmail. */
  mailRoot?: string;
  /** More certificates to watch (a reverse proxy's), beside the one Postfix serves. */
  certFiles: string[];
  /** Alert when a watched file system is fuller than this, in percent. */
  diskAlertPercent: number;
  /** Alert when Postfix holds this many messages or more on this host. */
  queueAlertMessages: number;
  /** Alert when deferred mail on this host is older than this, in hours. */
  deferredAlertHours: number;
  intervalMs: number;
}

/** Where alerts to the racines go (src/alerts). */
export interface AlertSettings {
  /**
   * A Mattermost or Slack incoming webhook (`{"text": …}` is posted to it). Its path holds the
   * token that lets anyone post: it is never logged.
   */
  webhook?: string;
  /** Alerts by e-mail, through the notifier. */
  email: boolean;
  /** Who gets them by e-mail; empty means every racine account. */
  emailTo: string[];
}

/** The outbound gateway's relay pool. */
export interface RelaySettings {
  timeoutMs: number;
  breakerFailures: number;
  breakerCoolDownMs: number;
  probeIntervalMs: number;
  /** DNSBL zones the relays' sending IPs are looked up in (e.g. zen.spamhaus.org). */
  dnsblZones: string[];
  maxMessageBytes: number;
}

/** How much one mailbox may submit (src/sending). */
export interface SendingLimits {
  hourMessages: number;
  hourRecipients: number;
  /** Over the last 24 hours. */
  dayMessages: number;
  dayRecipients: number;
}

export interface SendingSettings {
  /** Where Postfix's submission asks, at DATA, whether a mailbox may send (policy delegation). */
  policy: Endpoint;
  /** The platform's defaults; a racine may override them per collective. */
  limits: SendingLimits;
  /**
   * From this many messages in the clock hour, a mailbox's further mail takes Postfix's bulk
   * lane to the outbound gateway, so its burst does not hold back other mailboxes' mail.
   */
  bulkAfter: number;
  /** Content scanning of submitted mail; null scans nothing. */
  scan: OutboundScanSettings | null;
}

/**
 * Outbound scanning: rspamd scores every submitted message before Postfix queues it, and a
 * mailbox whose sending looks like a compromised account's raises an alert (src/sending).
 */
export interface OutboundScanSettings {
  /** rspamd's normal worker (HTTP /checkv2). */
  rspamd: Endpoint;
  timeoutMs: number;
  /** From this score a message is refused at submission (5.7.1). */
  rejectScore: number;
  /** From this score a message counts as a high-scoring one in the pattern. */
  highScore: number;
  /** The pattern's sliding window. */
  windowMs: number;
  /** Thresholds within the window; reaching any one raises the alert. */
  alert: { recipients: number; newDomains: number; highScores: number };
  /** Also suspend the mailbox's sending when the alert is raised. */
  suspend: boolean;
}

/** What the record plan asks every domain to publish, and how the checks behave. */
export interface DnsSettings {
  /** Port of the domains' authoritative nameservers (53; tests use a loopback fixture port). */
  authPort: number;
  /**
   * Loopback, private and link-local ranges (CIDR) whose addresses a domain's NS records may
   * lead the checks to. None by default: a member's NS records must not make giroflee send
   * queries inside the platform's own network.
   */
  privateNameservers: string[];
  timeoutMs: number;
  checkDeadlineMs: number;
  recheckMinutes: number;
  recheckConcurrency: number;
  mxHosts: string[];
  spfInclude: string;
  sendingIps: string[];
  /** Zone served by giroflee's own DNS server, holding the delegated DKIM keys. */
  dkimZone: string;
  dkimEd25519: boolean;
  dkimRotationDays: number;
  dkimRetentionDays: number;
  zoneNameServers: string[];
  mtaStsMode: 'enforce' | 'testing' | 'none';
  tlsRptRua: string;
  dmarcPolicy: 'none' | 'quarantine' | 'reject';
  dmarcRua?: string;
  autoconfigHost: string;
  imapHost: string;
  submissionHost: string;
}

const list = (value: string | undefined, fallback: string[]): string[] => {
  const items = (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase().replace(/\.$/, ''))
    .filter(Boolean);
  return items.length ? items : fallback;
};

/** The webmail's server side: an IMAP proxy and a submission client, as the mailbox. */
export interface WebmailSettings {
  imap: Endpoint;
  submission: Endpoint;
  /** A session's IMAP connection is closed after this long unused. */
  idleMs: number;
}

/** The inbound encrypting gateway and the mailbox key policy. */
export interface EncryptionSettings {
  maxMessageBytes: number;
  /** Command and data inactivity timeout of the gateway, both towards Postfix and Dovecot. */
  timeoutMs: number;
  dovecotConnections: number;
  /** Racine policy: may a mailbox be in mode `none` (stored in clear)? */
  allowUnencrypted: boolean;
}

/**
 * What mail programs are told: production's ports (IMAPS, then submission over implicit TLS
 * before STARTTLS, RFC 8314 §5.1), or the private stack's loopback ports when giroflee runs it.
 */
function mailClients(e: z.output<typeof envSchema>): Config['mailClients'] {
  const imapHost = e.GIROFLEE_IMAP_HOST ?? e.GIROFLEE_PLATFORM_HOSTNAME;
  const smtpHost = e.GIROFLEE_SUBMISSION_HOST ?? e.GIROFLEE_PLATFORM_HOSTNAME;
  if (e.GIROFLEE_MAILSTACK === '1') {
    return {
      imap: [{ host: imapHost, port: e.GIROFLEE_MAILSTACK_IMAP, security: 'none' }],
      smtp: [
        { host: smtpHost, port: e.GIROFLEE_MAILSTACK_SUBMISSIONS, security: 'tls' },
        { host: smtpHost, port: e.GIROFLEE_MAILSTACK_SUBMISSION, security: 'none' },
      ],
    };
  }
  const ports = PRODUCTION_CLIENT_PORTS;
  return {
    imap: [{ host: imapHost, port: ports.imaps, security: 'tls' }],
    smtp: [
      { host: smtpHost, port: ports.submissions, security: 'tls' },
      { host: smtpHost, port: ports.submission, security: 'starttls' },
    ],
  };
}

/** Where submitted mail is scanned, `auto` resolved (see GIROFLEE_OUTBOUND_SCAN). */
function outboundScanAt(e: z.infer<typeof envSchema>): string {
  if (e.GIROFLEE_OUTBOUND_SCAN !== 'auto') return e.GIROFLEE_OUTBOUND_SCAN;
  return e.GIROFLEE_MAILSTACK === '1' && e.GIROFLEE_MAILSTACK_DEFENCE === '1' ? '127.0.0.1:11333' : 'off';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = envSchema.parse(env);
  const dataDir = path.resolve(e.GIROFLEE_DATA_DIR);
  return {
    dataDir,
    databaseUrl: e.DATABASE_URL || undefined,
    http: parseEndpoint(e.GIROFLEE_HTTP, 8080),
    lmtp: parseEndpoint(e.GIROFLEE_LMTP, 10024),
    outbound: parseEndpoint(e.GIROFLEE_OUTBOUND, 10025),
    submissionMilter: parseEndpoint(e.GIROFLEE_SUBMISSION_MILTER, 10027),
    reinject: parseEndpoint(e.GIROFLEE_REINJECT, 10026),
    dovecotLmtp: parseEndpoint(e.GIROFLEE_DOVECOT_LMTP, 2424),
    dnsZoneListen: parseEndpoint(e.GIROFLEE_DNS_ZONE_LISTEN, 5300),
    dnsServers: e.GIROFLEE_DNS_SERVERS
      ? e.GIROFLEE_DNS_SERVERS.split(',').map((s) => parseEndpoint(s, 53))
      : undefined,
    dns: {
      authPort: e.GIROFLEE_DNS_AUTH_PORT,
      privateNameservers: list(e.GIROFLEE_DNS_PRIVATE_NAMESERVERS, []),
      timeoutMs: e.GIROFLEE_DNS_TIMEOUT_MS,
      checkDeadlineMs: e.GIROFLEE_DNS_CHECK_DEADLINE_MS,
      recheckMinutes: e.GIROFLEE_DNS_RECHECK_MINUTES,
      recheckConcurrency: e.GIROFLEE_DNS_RECHECK_CONCURRENCY,
      mxHosts: list(e.GIROFLEE_MX_HOSTS, [e.GIROFLEE_PLATFORM_HOSTNAME]),
      spfInclude: e.GIROFLEE_SPF_INCLUDE ?? `_spf.${e.GIROFLEE_PLATFORM_HOSTNAME}`,
      sendingIps: list(e.GIROFLEE_SENDING_IPS, []),
      dkimZone: e.GIROFLEE_DKIM_ZONE ?? `dkim.${e.GIROFLEE_PLATFORM_HOSTNAME}`,
      dkimEd25519: e.GIROFLEE_DKIM_ED25519 === '1',
      dkimRotationDays: e.GIROFLEE_DKIM_ROTATION_DAYS,
      dkimRetentionDays: e.GIROFLEE_DKIM_RETENTION_DAYS,
      zoneNameServers: list(e.GIROFLEE_DNS_ZONE_NS, [e.GIROFLEE_PLATFORM_HOSTNAME]),
      mtaStsMode: e.GIROFLEE_MTA_STS_MODE,
      tlsRptRua: e.GIROFLEE_TLSRPT_RUA ?? `mailto:tls-reports@${e.GIROFLEE_PLATFORM_HOSTNAME}`,
      dmarcPolicy: e.GIROFLEE_DMARC_POLICY,
      dmarcRua: e.GIROFLEE_DMARC_RUA || undefined,
      autoconfigHost: e.GIROFLEE_AUTOCONFIG_HOST ?? e.GIROFLEE_PLATFORM_HOSTNAME,
      imapHost: e.GIROFLEE_IMAP_HOST ?? e.GIROFLEE_PLATFORM_HOSTNAME,
      submissionHost: e.GIROFLEE_SUBMISSION_HOST ?? e.GIROFLEE_PLATFORM_HOSTNAME,
    },
    notifySmtp: parseEndpoint(e.GIROFLEE_NOTIFY_SMTP ?? e.GIROFLEE_OUTBOUND, 25),
    notifyFrom: e.GIROFLEE_NOTIFY_FROM ?? `giroflee@${e.GIROFLEE_PLATFORM_HOSTNAME}`,
    alerts: {
      webhook: e.GIROFLEE_ALERT_WEBHOOK || undefined,
      email: e.GIROFLEE_ALERT_EMAIL === '1',
      emailTo: list(e.GIROFLEE_ALERT_EMAIL_TO, []),
    },
    monitor: {
      nodeName: e.GIROFLEE_NODE_NAME || os.hostname(),
      postfixConfigDir: path.resolve(e.GIROFLEE_POSTFIX_CONFIG_DIR),
      mailRoot: e.GIROFLEE_MAIL_ROOT ? path.resolve(e.GIROFLEE_MAIL_ROOT) : undefined,
      certFiles: e.GIROFLEE_TLS_CERT_FILES.split(',')
        .map((f) => f.trim())
        .filter(Boolean)
        .map((f) => path.resolve(f)),
      diskAlertPercent: e.GIROFLEE_DISK_ALERT_PERCENT,
      queueAlertMessages: e.GIROFLEE_QUEUE_ALERT_MESSAGES,
      deferredAlertHours: e.GIROFLEE_DEFERRED_ALERT_HOURS,
      intervalMs: e.GIROFLEE_MONITOR_SECONDS * 1000,
    },
    relay: {
      timeoutMs: e.GIROFLEE_RELAY_TIMEOUT_SECONDS * 1000,
      breakerFailures: e.GIROFLEE_RELAY_BREAKER_FAILURES,
      breakerCoolDownMs: e.GIROFLEE_RELAY_BREAKER_COOLDOWN_SECONDS * 1000,
      probeIntervalMs: e.GIROFLEE_RELAY_PROBE_SECONDS * 1000,
      dnsblZones: e.GIROFLEE_DNSBL_ZONES.split(',')
        .map((z) => z.trim().toLowerCase())
        .filter(Boolean),
      maxMessageBytes: e.GIROFLEE_OUTBOUND_MAX_BYTES,
    },
    sending: {
      policy: parseEndpoint(e.GIROFLEE_SENDING_POLICY, 10028),
      limits: {
        hourMessages: e.GIROFLEE_SENDING_HOUR_MESSAGES,
        hourRecipients: e.GIROFLEE_SENDING_HOUR_RECIPIENTS,
        dayMessages: e.GIROFLEE_SENDING_DAY_MESSAGES,
        dayRecipients: e.GIROFLEE_SENDING_DAY_RECIPIENTS,
      },
      bulkAfter: e.GIROFLEE_SENDING_BULK_AFTER,
      scan:
        outboundScanAt(e) === 'off'
          ? null
          : {
              rspamd: parseEndpoint(outboundScanAt(e), 11333),
              timeoutMs: e.GIROFLEE_OUTBOUND_SCAN_TIMEOUT_SECONDS * 1000,
              rejectScore: e.GIROFLEE_OUTBOUND_REJECT_SCORE,
              highScore: e.GIROFLEE_OUTBOUND_HIGH_SCORE,
              windowMs: e.GIROFLEE_OUTBOUND_WINDOW_MINUTES * 60_000,
              alert: {
                recipients: e.GIROFLEE_OUTBOUND_ALERT_RECIPIENTS,
                newDomains: e.GIROFLEE_OUTBOUND_ALERT_NEW_DOMAINS,
                highScores: e.GIROFLEE_OUTBOUND_ALERT_HIGH_SCORES,
              },
              suspend: e.GIROFLEE_OUTBOUND_SUSPEND === '1',
            },
    },
    encryption: {
      maxMessageBytes: e.GIROFLEE_LMTP_MAX_BYTES,
      timeoutMs: e.GIROFLEE_LMTP_TIMEOUT_SECONDS * 1000,
      dovecotConnections: e.GIROFLEE_DOVECOT_LMTP_CONNECTIONS,
      allowUnencrypted: e.GIROFLEE_ALLOW_UNENCRYPTED_MAILBOXES === '1',
    },
    masterKeyFile: path.resolve(e.GIROFLEE_MASTER_KEY_FILE ?? path.join(dataDir, 'master.key')),
    platformHostname: e.GIROFLEE_PLATFORM_HOSTNAME,
    mailstack: e.GIROFLEE_MAILSTACK === '1',
    mailstackPorts: {
      mx: e.GIROFLEE_MAILSTACK_MX,
      submission: e.GIROFLEE_MAILSTACK_SUBMISSION,
      submissions: e.GIROFLEE_MAILSTACK_SUBMISSIONS,
      imap: e.GIROFLEE_MAILSTACK_IMAP,
      auth: e.GIROFLEE_MAILSTACK_AUTH,
      quotaStatus: e.GIROFLEE_MAILSTACK_QUOTA_STATUS,
      rspamdMilter: e.GIROFLEE_MAILSTACK_RSPAMD_MILTER,
      rspamdFuzzy: e.GIROFLEE_MAILSTACK_RSPAMD_FUZZY,
    },
    mailstackDefence: e.GIROFLEE_MAILSTACK_DEFENCE === '1',
    mxHygiene: {
      dnsblSites: e.GIROFLEE_MX_DNSBL_SITES.split(',')
        .map((z) => z.trim().toLowerCase())
        .filter(Boolean),
      dnsblThreshold: e.GIROFLEE_MX_DNSBL_THRESHOLD,
      connectionsPerClient: e.GIROFLEE_MX_CONNECTIONS_PER_CLIENT,
      connectionRate: e.GIROFLEE_MX_CONNECTION_RATE,
      messageRate: e.GIROFLEE_MX_MESSAGE_RATE,
      recipientRate: e.GIROFLEE_MX_RECIPIENT_RATE,
    },
    mailstackRelayhost: e.GIROFLEE_MAILSTACK_RELAYHOST
      ? parseEndpoint(e.GIROFLEE_MAILSTACK_RELAYHOST, 25)
      : undefined,
    webmail: {
      // By default the private stack's Dovecot and Postfix (`GIROFLEE_MAILSTACK=1`).
      imap: parseEndpoint(e.GIROFLEE_WEBMAIL_IMAP ?? `127.0.0.1:${e.GIROFLEE_MAILSTACK_IMAP}`, 143),
      submission: parseEndpoint(
        e.GIROFLEE_WEBMAIL_SUBMISSION ?? `127.0.0.1:${e.GIROFLEE_MAILSTACK_SUBMISSION}`,
        587,
      ),
      idleMs: e.GIROFLEE_WEBMAIL_IDLE_SECONDS * 1000,
    },
    managesieve: parseEndpoint(e.GIROFLEE_MANAGESIEVE, 4190),
    doveadm: parseEndpoint(e.GIROFLEE_DOVEADM, 12341),
    mailClients: mailClients(e),
    quota: {
      warningPercent: e.GIROFLEE_QUOTA_WARNING_PERCENT,
      checkIntervalMs: e.GIROFLEE_QUOTA_CHECK_MINUTES * 60_000,
    },
    sessionHours: e.GIROFLEE_SESSION_HOURS,
    retention: { trafficDays: e.GIROFLEE_TRAFFIC_RETENTION_DAYS, auditDays: e.GIROFLEE_AUDIT_RETENTION_DAYS },
    secureCookies: e.GIROFLEE_SECURE_COOKIES === '1',
    trustProxy: e.GIROFLEE_TRUST_PROXY || false,
    metrics: {
      listen:
        e.GIROFLEE_METRICS_LISTEN === 'off' ? undefined : parseEndpoint(e.GIROFLEE_METRICS_LISTEN, 9464),
      token: e.GIROFLEE_METRICS_TOKEN || undefined,
    },
    publicUrl: (e.GIROFLEE_PUBLIC_URL ?? `http://${e.GIROFLEE_HTTP}`).replace(/\/+$/, ''),
    logLevel: e.LOG_LEVEL,
    development: e.NODE_ENV === 'development' || e.NODE_ENV === 'test',
  };
}

/** A link to a screen of the web app (`/console/domains/example.org`) as people reach it. */
export function webLink(config: Pick<Config, 'publicUrl'>, path: string): string {
  return `${config.publicUrl}${path}`;
}
