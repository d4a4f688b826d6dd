import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderDovecot, renderSieve } from '../../src/mailstack/render-dovecot';
import { renderPostfix } from '../../src/mailstack/render-postfix';
import { renderRspamd, TEXT_ANALYSIS_LIMIT } from '../../src/mailstack/render-rspamd';
import {
  databaseParams,
  DEFAULT_DEFENCE,
  DEFAULT_PORTS,
  MailstackSettings,
  privatePaths,
  PRODUCTION_PATHS,
} from '../../src/mailstack/settings';

const base = (dir: string): MailstackSettings => ({
  profile: 'private',
  hostname: 'mail.giroflee.test',
  listen: '127.0.0.1',
  ports: DEFAULT_PORTS,
  paths: privatePaths(dir),
  database: databaseParams('postgres://giroflee:s%40cret@127.0.0.1:5433/giroflee'),
  inbound: { kind: 'gateway', endpoint: { host: '127.0.0.1', port: 10024 } },
  outboundFilter: { host: '127.0.0.1', port: 10025 },
  submissionMilter: { host: '127.0.0.1', port: 10027 },
  sendingPolicy: null,
  stripUserAgent: false,
  vmail: { user: 'vmail', uid: 990, gid: 990 },
  defence: null,
});

const production = (): MailstackSettings => ({
  ...base('/unused'),
  profile: 'production',
  listen: '*',
  ports: { ...DEFAULT_PORTS, mx: 25, submission: 587, imap: 993 },
  paths: PRODUCTION_PATHS,
  tls: { certFile: '/etc/ssl/mx.pem', keyFile: '/etc/ssl/mx.key' },
});

/** Writes rendered files and asks Postfix's and Dovecot's own parsers for the settings. */
function parse(s: MailstackSettings) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-render-'));
  for (const [sub, files] of [
    ['postfix', renderPostfix(s)],
    ['dovecot', renderDovecot(s)],
  ] as const) {
    fs.mkdirSync(path.join(dir, sub));
    for (const [name, { content }] of Object.entries(files))
      fs.writeFileSync(path.join(dir, sub, name), content);
  }
  const postconf = (args: string[]) =>
    execFileSync('postconf', ['-c', path.join(dir, 'postfix'), ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
  const main = postconf(['-n']);
  const master = postconf(['-M']);
  const doveconf = (args: string[]) =>
    execFileSync('doveconf', ['-c', path.join(dir, 'dovecot', 'dovecot.conf'), ...args]).toString();
  const dovecot = doveconf(['-n']);
  // The plugin settings each Dovecot service runs with, its protocol's filters applied.
  const pluginsIn = {
    lmtp: doveconf(['-f', 'protocol=lmtp', 'plugin']),
    imap: doveconf(['-f', 'protocol=imap', 'plugin']),
  };
  fs.rmSync(dir, { recursive: true, force: true });
  return { main, master, dovecot, pluginsIn };
}

/** The script compiles with Debian's Pigeonhole. */
function expectCompiles(script: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-sieve-'));
  try {
    fs.writeFileSync(path.join(dir, 'delivery.sieve'), script);
    execFileSync('sievec', [path.join(dir, 'delivery.sieve')], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(fs.existsSync(path.join(dir, 'delivery.svbin'))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('mail stack configuration', () => {
  it('renders a private stack: loopback only, no DNS, no chroot, gateways in the path', () => {
    const { main, master, dovecot } = parse(base('/srv/stack'));
    expect(main).toContain('smtp_dns_support_level = disabled');
    expect(main).toContain('smtpd_peername_lookup = no');
    expect(main).toContain('inet_interfaces = 127.0.0.1');
    expect(main).toContain('virtual_transport = inbound:inet:127.0.0.1:10024');
    // No next hop given: outbound mail waits in the queue instead of a DNS lookup.
    expect(main).toContain('defer_transports = smtp');
    expect(main).toContain('maillog_file = /srv/stack/log/postfix.log');
    expect(master).toMatch(/^127\.0\.0\.1:2525\s+inet\s+n\s+-\s+n\s/m);
    expect(master).toContain('content_filter=outfilter:[127.0.0.1]:10025');
    // One recipient per transaction to the outbound gateway: its one reply is exact.
    expect(main).toContain('outfilter_destination_recipient_limit = 1');
    expect(master).toMatch(/^127\.0\.0\.1:10026\s+inet/m);
    // From/Sender are held to the login before queueing; an absent milter means 4xx, not unchecked mail.
    expect(master).toContain('smtpd_milters=inet:127.0.0.1:10027');
    expect(master).toContain('milter_default_action=tempfail');
    expect(master).not.toMatch(/^\S+\s+\S+\s+\S+\s+\S+\s+y\s/m);
    expect(dovecot).toContain('ssl = no');
    expect(dovecot).toContain('auth_failure_delay = 0');
    expect(dovecot).toContain('base_dir = /srv/stack/dovecot/run');
    expect(dovecot).toMatch(/port = 1143/);
  });

  it('gives the inbound gateway the queue id, and has Dovecot discard a second delivery of one queue file', () => {
    const s = base('/srv/stack');
    const { main, master, dovecot } = parse(s);
    expect(main).toContain('enable_long_queue_ids = yes');
    expect(master).toMatch(/^inbound\s+unix\s.*\slmtp -o lmtp_send_xforward_command=yes$/m);
    expect(dovecot).toContain('sieve_before = /srv/stack/sieve/delivery.sieve');
    const script = renderSieve(s)['delivery.sieve'].content;
    expect(script).toContain('require ["duplicate"];');
    expect(script).toMatch(/if duplicate :header "X-Giroflee-Delivery" [^{]*\{\s*discard;\s*stop;\s*\}/);
    expect(script).not.toContain('Junk');
    expectCompiles(script);
  });

  it("asks giroflee's sending policy at submission's DATA, and defers when it cannot", () => {
    const { main, master } = parse({
      ...base('/srv/stack'),
      sendingPolicy: { host: '127.0.0.1', port: 10027 },
    });
    const submissionLine = master.split('\n').find((l) => l.startsWith('127.0.0.1:2587 '))!;
    expect(submissionLine).toContain('smtpd_data_restrictions=check_policy_service,inet:127.0.0.1:10027');
    expect(main).toMatch(/^smtpd_policy_service_default_action = 451 4\.3\.5/m);
    const mxLine = master.split('\n').find((l) => l.startsWith('127.0.0.1:2525 '))!;
    expect(mxLine).not.toContain('smtpd_data_restrictions');
    // The bulk lane the policy sends a mailbox in a burst to: its own transport, one at a time.
    expect(submissionLine).toContain('smtpd_policy_service_policy_context=outbulk:[127.0.0.1]:10025');
    expect(master).toMatch(/^outbulk\s+unix\s+-\s+-\s+n\s+-\s+1\s+smtp -o syslog_name=postfix\/outbulk/m);
    expect(main).toMatch(/^outbulk_destination_recipient_limit = 1$/m);
  });

  it('delivers straight to Dovecot when asked, and names a relayhost when given one', () => {
    const { main } = parse({
      ...base('/srv/stack'),
      inbound: { kind: 'dovecot' },
      relayhost: { host: '127.0.0.1', port: 2626 },
    });
    expect(main).toContain('virtual_transport = lmtp:inet:127.0.0.1:2424');
    expect(main).toContain('relayhost = [127.0.0.1]:2626');
    expect(main).not.toContain('defer_transports');
  });

  it('renders production: Debian paths, ports 25/587/993, TLS, DNS, chroot, SASL socket', () => {
    const { main, master, dovecot } = parse(production());
    expect(main).not.toContain('smtp_dns_support_level');
    expect(main).toContain('smtpd_tls_cert_file = /etc/ssl/mx.pem');
    expect(main).toContain('queue_directory = /var/spool/postfix');
    expect(master).toMatch(/^smtp\s+inet\s+n\s+-\s+y\s/m);
    expect(master).toMatch(/^submission\s+inet\s+n\s+-\s+y\s/m);
    expect(master).toContain('smtpd_sasl_path=private/auth');
    expect(master).toContain('smtpd_tls_auth_only=yes');
    expect(dovecot).toContain('ssl = required');
    expect(dovecot).toContain('ssl_cert = </etc/ssl/mx.pem');
    expect(dovecot).toMatch(/port = 993/);
    expect(dovecot).toContain('/var/spool/postfix/private/auth');
  });

  it('puts rspamd on the MX only, failing closed, with Junk filing and junk reports in Dovecot', () => {
    const s: MailstackSettings = {
      ...base('/srv/stack'),
      defence: { ...DEFAULT_DEFENCE, dnsServers: [{ host: '127.0.0.1', port: 5353 }] },
    };
    const { main, master, dovecot, pluginsIn } = parse(s);
    expect(main).toContain('milter_default_action = tempfail');
    const mxLine = master.split('\n').find((l) => l.startsWith('127.0.0.1:2525 '))!;
    // Over a UNIX-domain socket rspamd binds, not TCP (Postfix's buffers for a TCP milter stream).
    expect(mxLine).toContain('smtpd_milters=unix:/srv/stack/rspamd-milter.sock');
    expect(renderRspamd(s)['rspamd.conf'].content).toMatch(
      /worker "rspamd_proxy" \{\s*bind_socket = "\/srv\/stack\/rspamd-milter\.sock mode=0666";\s*bind_socket = "127\.0\.0\.1:11332";/,
    );
    const submissionLine = master.split('\n').find((l) => l.startsWith('127.0.0.1:2587 '))!;
    // Submission asks only giroflee's own milter (From/Sender against the login), not rspamd.
    expect(submissionLine).toContain('smtpd_milters=inet:127.0.0.1:10027 ');
    expect(submissionLine).not.toContain(':11332');
    // Duplicates are discarded first, then junk is filed.
    expect(dovecot).toContain('sieve_before = /srv/stack/sieve/delivery.sieve');
    expect(dovecot).not.toContain('sieve_before2');
    const script = renderSieve(s)['delivery.sieve'].content;
    expect(script.indexOf('if duplicate')).toBeLessThan(script.indexOf('if header :is "X-Spam" "Yes"'));
    expect(script).toMatch(/if header :is "X-Spam" "Yes" \{\s*fileinto :create "Junk";\s*stop;\s*\}/);
    expectCompiles(script);
    // Junk reports are IMAP's; delivery does not load their Sieve plugins at every message.
    expect(pluginsIn.imap).toContain('imapsieve_mailbox1_name = Junk');
    expect(pluginsIn.imap).toContain('sieve_plugins = sieve_imapsieve sieve_extprograms');
    expect(pluginsIn.lmtp).not.toContain('sieve_plugins');
    expect(pluginsIn.lmtp).not.toContain('imapsieve');
    expect(pluginsIn.lmtp).toContain('sieve_before = /srv/stack/sieve/delivery.sieve');
    const rspamd = renderRspamd(s);
    expect(rspamd['local.d/options.inc'].content).toContain('nameserver = ["127.0.0.1:5353"]');
    // Nothing reaches the internet: the modules with remote lists are off, and the only fuzzy
    // storage is ours.
    for (const m of ['rbl', 'phishing', 'multimap', 'whitelist', 'url_redirector', 'asn']) {
      expect(rspamd[`local.d/${m}.conf`].content).toContain('enabled = false;');
    }
    expect(rspamd['override.d/fuzzy_check.conf'].content).toMatch(/servers = "127\.0\.0\.1:11335"/);
    expect(rspamd['override.d/fuzzy_check.conf'].content).not.toContain('rspamd.com');
    // Compiled regular expressions are kept with the stack, not recompiled at each start.
    expect(rspamd['local.d/options.inc'].content).toContain(
      'hs_cache_dir = "/srv/stack/rspamd-run/hyperscan";',
    );
    // One junk report makes a message junk, though rspamd weighs one report a little under 1.
    expect(rspamd['local.d/force_actions.conf'].content).toMatch(
      /GIROFLEE_REPORTED_JUNK \{\s*action = "add header";\s*expression = "GIROFLEE_FUZZY_JUNK";\s*least = true;/,
    );
    // A text part past the bound is read as data (tests/e2e/defence.test.ts shows what that keeps).
    expect(rspamd['local.d/rspamd.lua'].content).toContain(`local LIMIT = ${TEXT_ANALYSIS_LIMIT}\n`);
  });

  it('puts postscreen in front of the production MX, with weighted blocklists and limits per client', () => {
    const { main, master } = parse({
      ...production(),
      defence: { ...DEFAULT_DEFENCE, dnsServers: [] },
      mxHygiene: {
        dnsblSites: ['zen.spamhaus.org*3', 'bl.example*1'],
        dnsblThreshold: 3,
        connectionsPerClient: 7,
        connectionRate: 30,
        messageRate: 60,
        recipientRate: 150,
      },
    });
    // A client talking before the greeting, or named by the blocklists, never reaches smtpd.
    expect(master).toMatch(/^smtp\s+inet\s+n\s+-\s+y\s+-\s+1\s+postscreen\s*$/m);
    expect(main).toContain('postscreen_greet_action = enforce');
    expect(main).toContain('postscreen_dnsbl_sites = zen.spamhaus.org*3, bl.example*1');
    expect(main).toContain('postscreen_dnsbl_threshold = 3');
    expect(main).toContain('postscreen_dnsbl_action = enforce');
    expect(master).toMatch(/^dnsblog\s+unix\s/m);
    expect(master).toMatch(/^tlsproxy\s+unix\s/m);
    const smtpd = master.split('\n').find((l) => /^smtpd\s+pass\s/.test(l))!;
    for (const o of [
      'smtpd_milters=inet:127.0.0.1:11332',
      'smtpd_forbid_unauth_pipelining=yes',
      'smtpd_hard_error_limit=5',
      'smtpd_client_connection_count_limit=7',
      'smtpd_client_recipient_rate_limit=150',
    ])
      expect(smtpd).toContain(o);
    // Submission keeps Postfix's defaults: members behind one address share no stranger's limits.
    const submission = master.split('\n').find((l) => l.startsWith('submission '))!;
    expect(submission).not.toContain('smtpd_client_connection_count_limit');
  });

  it('keeps postscreen out of the private stack, where DNS is off', () => {
    const { main, master } = parse(base('/srv/stack'));
    expect(main).not.toContain('postscreen');
    expect(master).not.toContain('postscreen');
  });

  it('keeps the database password out of the world-readable files', () => {
    const postfix = renderPostfix(base('/srv/stack'));
    const dovecot = renderDovecot(base('/srv/stack'));
    for (const files of [postfix, dovecot]) {
      for (const { content, mode } of Object.values(files)) {
        if (content.includes('s@cret')) expect(mode & 0o007).toBe(0);
      }
    }
    expect(postfix['pgsql-domains.cf'].content).toContain('password = s@cret');
  });
});
