import path from 'node:path';
import type { Endpoint } from '../config';
import type { MailstackSettings } from './settings';

/** A rendered configuration: file name (relative to its config folder) → content and mode. */
export type RenderedFiles = Record<string, { content: string; mode: number }>;

const hostPort = (e: Endpoint) => `${e.host}:${e.port}`;

/**
 * Where Postfix's MX smtpd reaches rspamd's milter in the private profile: a UNIX-domain socket in
 * the stack's folder (rspamd binds it as root before it drops privileges; Postfix's smtpd runs
 * unchrooted there). Over TCP, Postfix gives a milter connection buffers of four times the
 * connection's MSS (vstream_tweak_tcp: 256 KB each way on loopback's 64 KB MSS) and fills every
 * buffer it allocates and frees (mymalloc/myfree), in smtpd and again in cleanup, for every
 * message; over a UNIX socket they keep their 4 KB. Production keeps rspamd's TCP port: its
 * smtpd is chrooted. The TCP port stays bound either way (readiness, `giroflee mailstack`).
 */
export function rspamdMilterSocket(s: MailstackSettings): string | null {
  return s.profile === 'private'
    ? path.join(path.dirname(s.paths.rspamdRunDir!), 'rspamd-milter.sock')
    : null;
}

/**
 * The lookup tables Postfix reads, all over the `mta` views (the contract with the MTA), through
 * their lookup functions: same rows, but PostgreSQL plans each view's query once per connection
 * instead of once per lookup (migration 0250_mta_lookups). `%s` is quoted by Postfix's pgsql client
 * (pgsql_table(5)).
 */
function pgsqlMaps(s: MailstackSettings): RenderedFiles {
  const db = s.database;
  const header = [
    '# Rendered by giroflee: do not edit, re-render instead.',
    `hosts = ${db.host}:${db.port}`,
    `user = ${db.user}`,
    `password = ${db.password}`,
    `dbname = ${db.database}`,
  ].join('\n');
  const map = (query: string) => ({ content: `${header}\nquery = ${query}\n`, mode: 0o640 });
  return {
    'pgsql-domains.cf': map(`SELECT domain FROM mta.domain_lookup('%s')`),
    'pgsql-mailboxes.cf': map(`SELECT address FROM mta.mailbox_lookup('%s')`),
    'pgsql-aliases.cf': map(`SELECT destination FROM mta.alias_lookup('%s')`),
    'pgsql-sender-logins.cf': map(`SELECT login FROM mta.sender_login_lookup('%s')`),
  };
}

/**
 * Privacy on submitted mail: the Received line our submission smtpd writes (it names the
 * client's address) and X-Originating-IP never leave. Patterns are POSIX regexp_table(5)
 * patterns (case-insensitive; `.` matches the newlines of a folded header).
 */
function submissionHeaderChecks(s: MailstackSettings): string {
  const lines = [
    "# Rendered by giroflee: remove what would reveal the sender's address or software.",
    '/^Received: from .*\\(Postfix\\) with E?SMTPS?A id / IGNORE',
    '/^X-Originating-IP:/ IGNORE',
  ];
  if (s.stripUserAgent) lines.push('/^User-Agent:/ IGNORE', '/^X-Mailer:/ IGNORE');
  return lines.join('\n') + '\n';
}

/** The reinjection smtpd's own Received line names only the gateway's loopback hop. */
const REINJECT_HEADER_CHECKS =
  '# Rendered by giroflee: the hop back from the outbound gateway is internal.\n' +
  '/^Received: from .*\\(Postfix\\) with E?SMTP id / IGNORE\n';

function mainCf(s: MailstackSettings): string {
  const p = s.paths;
  const cfg = (name: string) => path.join(p.postfixConfigDir, name);
  const priv = s.profile === 'private';
  const virtualTransport =
    s.inbound.kind === 'gateway'
      ? `inbound:inet:${hostPort(s.inbound.endpoint)}`
      : `lmtp:inet:127.0.0.1:${s.ports.dovecotLmtp}`;
  const lines: string[] = [
    '# Rendered by giroflee: do not edit, re-render instead.',
    'compatibility_level = 3.6',
    `queue_directory = ${p.postfixQueueDir}`,
    `data_directory = ${p.postfixDataDir}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    `myhostname = ${s.hostname}`,
    'myorigin = $myhostname',
    'smtpd_banner = $myhostname ESMTP',
    'biff = no',
    'append_dot_mydomain = no',
    // Nothing is delivered locally: every hosted address is a virtual one.
    'mydestination =',
    'local_recipient_maps =',
    'local_transport = error:5.1.1 no local delivery on this host',
    'alias_maps =',
    'alias_database =',
    'message_size_limit = 52428800',
    // Queue ids never reused over time: the inbound gateway's delivery id is made from them.
    'enable_long_queue_ids = yes',
    'mailbox_size_limit = 0',
    '',
    '# Hosted domains, mailboxes and aliases: only the mta.* views.',
    `virtual_mailbox_domains = pgsql:${cfg('pgsql-domains.cf')}`,
    `virtual_mailbox_maps = pgsql:${cfg('pgsql-mailboxes.cf')}`,
    `virtual_alias_maps = pgsql:${cfg('pgsql-aliases.cf')}`,
    `smtpd_sender_login_maps = pgsql:${cfg('pgsql-sender-logins.cf')}`,
    `virtual_transport = ${virtualTransport}`,
    // One recipient per LMTP transaction to the gateway: a merged duplicate recipient would
    // otherwise get too few replies and Postfix could count a message as delivered.
    'inbound_destination_recipient_limit = 1',
    // One recipient per transaction to the outbound gateway too: its one reply after DATA
    // (RFC 5321 §3.3) then tells exactly whether that recipient was relayed, so a retry never
    // resends to a recipient a relay already took (src/relay/route-message.ts).
    ...(s.outboundFilter
      ? ['outfilter_destination_recipient_limit = 1', 'outbulk_destination_recipient_limit = 1']
      : []),
    '',
    '# MX: only hosted recipients; unknown ones get 550 5.1.1 at RCPT (smtpd_reject_unlisted_recipient).',
    // No permit_mynetworks: on one machine every client is loopback, and the MX must never relay.
    'mynetworks = 127.0.0.0/8',
    'smtpd_relay_restrictions = reject_unauth_destination',
    // Dovecot's quota-status refuses a full mailbox at RCPT (552 5.2.2) instead of bouncing later.
    `smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service inet:127.0.0.1:${s.ports.quotaStatus}`,
    'smtpd_policy_service_default_action = 451 4.3.5 Policy service unavailable, try again later',
    'smtpd_helo_required = yes',
    'disable_vrfy_command = yes',
  ];
  if (s.defence) {
    lines.push(
      '',
      '# rspamd answers on the MX only (master.cf). If it cannot be asked, the message is refused',
      '# for now (4xx) rather than let in unchecked.',
      'milter_default_action = tempfail',
      'milter_protocol = 6',
      'milter_mail_macros = i {mail_addr} {client_addr} {client_name} {auth_authen}',
    );
  }
  if (priv) {
    lines.push(
      '',
      '# Private stack: loopback only, no DNS ever (the resolver in resolv.conf is off-limits).',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      `maillog_file = ${p.postfixLogFile}`,
      `maillog_file_prefixes = ${path.dirname(p.postfixLogFile!)}`,
      'smtpd_peername_lookup = no',
      'smtp_dns_support_level = disabled',
      'lmtp_dns_support_level = disabled',
      'smtp_host_lookup = native',
      'lmtp_host_lookup = native',
      'smtpd_tls_security_level = none',
      'smtp_tls_security_level = none',
    );
    if (s.relayhost) lines.push(`relayhost = [${s.relayhost.host}]:${s.relayhost.port}`);
    // No next hop was given: mail leaving the platform waits in the queue rather than
    // being looked up in DNS (postqueue -f after configuring a relayhost sends it).
    else lines.push('defer_transports = smtp');
  } else {
    lines.push(
      '',
      '# Production: all interfaces, DNS, TLS.',
      'inet_interfaces = all',
      'inet_protocols = all',
      'smtpd_tls_security_level = may',
      `smtpd_tls_cert_file = ${s.tls?.certFile ?? '/etc/ssl/certs/ssl-cert-snakeoil.pem'}`,
      `smtpd_tls_key_file = ${s.tls?.keyFile ?? '/etc/ssl/private/ssl-cert-snakeoil.key'}`,
      'smtpd_tls_mandatory_protocols = >=TLSv1.2',
      'smtp_tls_security_level = may',
      'smtp_tls_loglevel = 1',
      'smtpd_tls_loglevel = 1',
      ...postscreenCf(s),
    );
    if (s.relayhost) lines.push(`relayhost = [${s.relayhost.host}]:${s.relayhost.port}`);
  }
  return lines.join('\n') + '\n';
}

/** A master.cf line: service type private unpriv chroot wakeup maxproc command, then -o options. */
function service(
  name: string,
  type: string,
  priv: string,
  chroot: boolean,
  wakeup: string,
  maxproc: string,
  command: string,
  options: string[] = [],
): string {
  const head = [name, type, priv, '-', chroot ? 'y' : 'n', wakeup, maxproc, command].join('  ');
  return [head, ...options.map((o) => `  -o ${o}`)].join('\n');
}

/**
 * The production MX's hygiene, as -o options of its smtpd (submission keeps Postfix's defaults:
 * members behind one address must not share a stranger's limits). Loopback is exempt
 * (smtpd_client_event_limit_exceptions = $mynetworks).
 */
function mxHygieneOptions(s: MailstackSettings): string[] {
  const h = s.mxHygiene;
  if (!h) return [];
  return [
    // RFC 2920 §3.1: a client may pipeline only once the server announced PIPELINING.
    'smtpd_forbid_unauth_pipelining=yes',
    'smtpd_soft_error_limit=3',
    'smtpd_hard_error_limit=5',
    'smtpd_junk_command_limit=20',
    `smtpd_client_connection_count_limit=${h.connectionsPerClient}`,
    `smtpd_client_connection_rate_limit=${h.connectionRate}`,
    `smtpd_client_message_rate_limit=${h.messageRate}`,
    `smtpd_client_recipient_rate_limit=${h.recipientRate}`,
  ];
}

/**
 * postscreen(8) answers port 25 first: a client that talks before the greeting (RFC 5321 §4.3.1:
 * wait for it) or that the weighted DNS blocklists name is refused before an smtpd is spent on it.
 */
function postscreenCf(s: MailstackSettings): string[] {
  const h = s.mxHygiene;
  if (!h) return [];
  return [
    '',
    '# MX hygiene: postscreen in front of the MX smtpd (master.cf), limits per client there.',
    'postscreen_access_list = permit_mynetworks',
    'postscreen_greet_action = enforce',
    `postscreen_dnsbl_sites = ${h.dnsblSites.join(', ')}`,
    `postscreen_dnsbl_threshold = ${h.dnsblThreshold}`,
    'postscreen_dnsbl_action = enforce',
    // The tests that would need a second connection (pipelining, bare newline) stay off.
    'postscreen_pipelining_enable = no',
    'postscreen_non_smtp_command_enable = no',
    'postscreen_bare_newline_enable = no',
  ];
}

function masterCf(s: MailstackSettings): string {
  const prod = s.profile === 'production';
  // Debian ships chroot = y for most network-facing services; a private stack never chroots
  // (its queue lives in a temporary folder without the files a chroot needs).
  const y = prod;
  const at = (port: number) => (prod ? null : `${s.listen}:${port}`);
  const cleanupFor = (name: string) => `cleanup_service_name=${name}`;
  const milterSocket = rspamdMilterSocket(s);
  const rspamdMilter = milterSocket ? `unix:${milterSocket}` : `inet:127.0.0.1:${s.ports.rspamdMilter}`;
  const mxOptions = s.defence ? [`smtpd_milters=${rspamdMilter}`] : [];
  const submissionOptions = [
    'syslog_name=postfix/submission',
    'smtpd_sasl_auth_enable=yes',
    'smtpd_sasl_type=dovecot',
    prod ? 'smtpd_sasl_path=private/auth' : `smtpd_sasl_path=inet:127.0.0.1:${s.ports.auth}`,
    prod ? 'smtpd_tls_security_level=encrypt' : 'smtpd_tls_security_level=none',
    prod ? 'smtpd_tls_auth_only=yes' : 'smtpd_tls_auth_only=no',
    'smtpd_client_restrictions=permit_sasl_authenticated,reject',
    // A logged-in user may send only as the addresses mta.sender_logins gives them.
    'smtpd_sender_restrictions=reject_sender_login_mismatch',
    'smtpd_relay_restrictions=permit_sasl_authenticated,reject',
    'smtpd_recipient_restrictions=permit_sasl_authenticated,reject',
    cleanupFor('subcleanup'),
  ];
  if (s.submissionMilter) {
    submissionOptions.push(
      // From/Sender held to the login before the message is queued (src/relay/submission-milter.ts);
      // when the milter does not answer, Postfix answers 4xx rather than accept unchecked mail.
      `smtpd_milters=inet:${hostPort(s.submissionMilter)}`,
      'milter_default_action=tempfail',
      'milter_protocol=6',
    );
  }
  if (s.sendingPolicy) {
    // At DATA the recipients are known: giroflee counts the message against the mailbox's
    // limits and answers 4.7.1 over them (5.7.1 when its sending is suspended). Unreachable,
    // smtpd_policy_service_default_action defers: nothing leaves unchecked.
    submissionOptions.push(`smtpd_data_restrictions=check_policy_service,inet:${hostPort(s.sendingPolicy)}`);
    // Postfix's queue hands mail to one content filter in arrival order: a burst of one mailbox
    // would hold back every other mailbox's mail behind it. The policy service sends a mailbox
    // in a burst through this lane instead (FILTER), a transport of its own that Postfix's queue
    // manager serves in turn with the other.
    if (s.outboundFilter) {
      submissionOptions.push(
        `smtpd_policy_service_policy_context=outbulk:[${s.outboundFilter.host}]:${s.outboundFilter.port}`,
      );
    }
  }
  if (s.outboundFilter) {
    submissionOptions.push(
      `content_filter=outfilter:[${s.outboundFilter.host}]:${s.outboundFilter.port}`,
      // Aliases are expanded after the filter, when the message comes back (FILTER_README).
      'receive_override_options=no_address_mappings',
    );
  }
  const lines = [
    '# Rendered by giroflee: do not edit, re-render instead.',
    '# service type  private unpriv  chroot  wakeup  maxproc command + args',
    ...(s.mxHygiene
      ? [
          service('smtp', 'inet', 'n', y, '-', '1', 'postscreen'),
          service('smtpd', 'pass', '-', y, '-', '-', 'smtpd', [...mxOptions, ...mxHygieneOptions(s)]),
          service('dnsblog', 'unix', '-', y, '-', '0', 'dnsblog'),
          service('tlsproxy', 'unix', '-', y, '-', '0', 'tlsproxy'),
        ]
      : [service(prod ? 'smtp' : at(s.ports.mx)!, 'inet', 'n', y, '-', '-', 'smtpd', mxOptions)]),
    service(
      prod ? 'submission' : at(s.ports.submission)!,
      'inet',
      'n',
      y,
      '-',
      '-',
      'smtpd',
      submissionOptions,
    ),
    // RFC 8314 §3.3: submission over implicit TLS, preferred by mail programs (SRV
    // _submissions._tcp, autoconfig); the private profile's certificate is self-signed.
    service(prod ? 'submissions' : at(s.ports.submissions)!, 'inet', 'n', y, '-', '-', 'smtpd', [
      ...submissionOptions.map((o) =>
        o.startsWith('syslog_name=')
          ? 'syslog_name=postfix/submissions'
          : o.startsWith('smtpd_tls_security_level=')
            ? 'smtpd_tls_security_level=encrypt'
            : o,
      ),
      'smtpd_tls_wrappermode=yes',
      ...(prod || !s.tls
        ? []
        : [`smtpd_tls_cert_file=${s.tls.certFile}`, `smtpd_tls_key_file=${s.tls.keyFile}`]),
    ]),
  ];
  if (s.outboundFilter) {
    // The outbound gateway hands mail back here; it already passed every check.
    lines.push(
      service(`127.0.0.1:${s.ports.reinject}`, 'inet', 'n', y, '-', '-', 'smtpd', [
        'syslog_name=postfix/reinject',
        'content_filter=',
        'receive_override_options=no_unknown_recipient_checks,no_milters',
        cleanupFor('reinjectcleanup'),
        'smtpd_helo_restrictions=',
        'smtpd_client_restrictions=permit_mynetworks,reject',
        'smtpd_sender_restrictions=',
        'smtpd_relay_restrictions=permit_mynetworks,reject',
        'smtpd_recipient_restrictions=permit_mynetworks,reject',
        'mynetworks=127.0.0.0/8',
        'smtpd_sasl_auth_enable=no',
      ]),
      // The bulk lane has one delivery process (maxproc 1): one message at a time to the gateway.
      ...['outfilter', 'outbulk'].map((name) =>
        service(name, 'unix', '-', false, '-', name === 'outbulk' ? '1' : '-', 'smtp', [
          `syslog_name=postfix/${name}`,
          // XFORWARD would hand the client's address to the gateway: it has no use for it.
          'smtp_send_xforward_command=no',
          'smtp_tls_security_level=none',
          'smtp_dns_support_level=disabled',
          'smtp_data_done_timeout=1200s',
        ]),
      ),
    );
  }
  const cf = s.paths.postfixConfigDir;
  lines.push(
    service('pickup', 'unix', 'n', y, '60', '1', 'pickup'),
    service('cleanup', 'unix', 'n', y, '-', '0', 'cleanup'),
    service('subcleanup', 'unix', 'n', y, '-', '0', 'cleanup', [
      `header_checks=regexp:${path.join(cf, 'submission_header_checks.regexp')}`,
    ]),
    service('reinjectcleanup', 'unix', 'n', y, '-', '0', 'cleanup', [
      `header_checks=regexp:${path.join(cf, 'reinject_header_checks.regexp')}`,
    ]),
    service('qmgr', 'unix', 'n', false, '300', '1', 'qmgr'),
    service('tlsmgr', 'unix', '-', y, '1000?', '1', 'tlsmgr'),
    service('rewrite', 'unix', '-', y, '-', '-', 'trivial-rewrite'),
    service('bounce', 'unix', '-', y, '-', '0', 'bounce'),
    service('defer', 'unix', '-', y, '-', '0', 'bounce'),
    service('trace', 'unix', '-', y, '-', '0', 'bounce'),
    service('verify', 'unix', '-', y, '-', '1', 'verify'),
    service('flush', 'unix', 'n', false, '1000?', '0', 'flush'),
    service('proxymap', 'unix', '-', false, '-', '-', 'proxymap'),
    service('proxywrite', 'unix', '-', false, '-', '1', 'proxymap'),
    service('smtp', 'unix', '-', y, '-', '-', 'smtp'),
    service('relay', 'unix', '-', y, '-', '-', 'smtp'),
    service('showq', 'unix', 'n', y, '-', '-', 'showq'),
    service('error', 'unix', '-', y, '-', '-', 'error'),
    service('retry', 'unix', '-', y, '-', '-', 'error'),
    service('discard', 'unix', '-', y, '-', '-', 'discard'),
    service('lmtp', 'unix', '-', y, '-', '-', 'lmtp'),
    // virtual_transport when the encrypting gateway is in the path (recipient limit 1, main.cf).
    // XFORWARD gives the gateway the queue id, which makes the delivery id (a retry stored once).
    service('inbound', 'unix', '-', y, '-', '-', 'lmtp', ['lmtp_send_xforward_command=yes']),
    service('anvil', 'unix', '-', y, '-', '1', 'anvil'),
    service('scache', 'unix', '-', y, '-', '1', 'scache'),
    service('postlog', 'unix-dgram', 'n', false, '-', '1', 'postlogd'),
  );
  return lines.join('\n') + '\n';
}

export function renderPostfix(s: MailstackSettings): RenderedFiles {
  return {
    'main.cf': { content: mainCf(s), mode: 0o644 },
    'master.cf': { content: masterCf(s), mode: 0o644 },
    'submission_header_checks.regexp': { content: submissionHeaderChecks(s), mode: 0o644 },
    'reinject_header_checks.regexp': { content: REINJECT_HEADER_CHECKS, mode: 0o644 },
    ...pgsqlMaps(s),
  };
}
