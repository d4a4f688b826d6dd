import path from 'node:path';
import {
  appPasswordPassdbs,
  mailClientFiles,
  managesieveAndDoveadmLines,
  sievePluginLines,
} from './render-mail-clients';
import type { RenderedFiles } from './render-postfix';
import { DELIVERY_HEADER } from '../encryption/delivery-id';
import { DIGEST_HEADER, FUZZY_JUNK_FLAG } from './render-rspamd';
import type { MailstackSettings } from './settings';

/** Dovecot quotes values containing spaces or `=` with double quotes. */
const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The driver and connect lines shared by every SQL file of Dovecot. */
function sqlConnection(s: MailstackSettings): string[] {
  const db = s.database;
  const connect = [
    `host=${db.host}`,
    `port=${db.port}`,
    `dbname=${db.database}`,
    `user=${db.user}`,
    `password=${db.password}`,
  ].join(' ');
  return ['driver = pgsql', `connect = ${quote(connect)}`];
}

/**
 * passdb/userdb over the `mta.mailboxes` view, through its lookup function (a plan kept per
 * connection, see render-postfix.ts); `%u` is escaped by Dovecot's sql driver.
 */
function sqlConf(s: MailstackSettings): string {
  const mailRoot = s.paths.mailRoot.replace(/'/g, "''");
  return [
    '# Rendered by giroflee: do not edit, re-render instead.',
    ...sqlConnection(s),
    'default_pass_scheme = ARGON2ID',
    // password_hash already carries the {ARGON2ID} prefix.
    "password_query = SELECT address AS user, password_hash AS password FROM mta.mailbox_lookup('%u')",
    // A mailbox that cannot log in (its collective suspended, or a reset waiting for its owner)
    // sends its vacation replies with its own address as envelope sender instead of the null
    // one (RFC 5230 §5.1's SHOULD): whatever `:from` its script names, the outbound gateway can
    // tell whose reply it is, and refuses those of a suspended collective.
    `user_query = SELECT '${mailRoot}/' || home AS home, '*:bytes=' || quota_bytes AS quota_rule, CASE WHEN password_hash = '{CRYPT}!' THEN 'yes' ELSE 'no' END AS sieve_vacation_send_from_recipient FROM mta.mailbox_lookup('%u')`,
    'iterate_query = SELECT address AS user FROM mta.mailboxes',
    '',
  ].join('\n');
}

function dovecotConf(s: MailstackSettings): string {
  const p = s.paths;
  const dir = path.dirname(p.dovecotConfigFile);
  const priv = s.profile === 'private';
  const listen = priv ? s.listen : '*';
  const lines: string[] = [
    '# Rendered by giroflee: do not edit, re-render instead.',
    'protocols = imap lmtp sieve',
    `listen = ${listen}`,
    `base_dir = ${p.dovecotBaseDir}`,
    `state_dir = ${p.dovecotStateDir}`,
    // Several private stacks may run side by side (tests): each its own instance.
    `instance_name = ${priv ? `giroflee-${path.basename(path.dirname(dir))}` : 'dovecot'}`,
  ];
  if (p.dovecotLogFile) lines.push(`log_path = ${p.dovecotLogFile}`, `info_log_path = ${p.dovecotLogFile}`);
  if (priv) {
    lines.push('ssl = no', 'disable_plaintext_auth = no');
  } else {
    lines.push(
      'ssl = required',
      `ssl_cert = <${s.tls?.certFile ?? '/etc/ssl/certs/ssl-cert-snakeoil.pem'}`,
      `ssl_key = <${s.tls?.keyFile ?? '/etc/ssl/private/ssl-cert-snakeoil.key'}`,
      'ssl_min_protocol = TLSv1.2',
      'disable_plaintext_auth = yes',
    );
  }
  lines.push('auth_mechanisms = plain login', 'auth_username_format = %Lu', 'auth_master_user_separator = *');
  if (priv) {
    // Tests log in and fail on purpose from 127.0.0.1: no delay, no per-IP penalty (else seconds each).
    lines.push('auth_failure_delay = 0');
  }
  lines.push(
    // Numeric ids: a name would be looked up in /etc/passwd and /etc/group for every delivery.
    `mail_uid = ${s.vmail.uid}`,
    `mail_gid = ${s.vmail.gid}`,
    `first_valid_uid = ${s.vmail.uid}`,
    `last_valid_uid = ${s.vmail.uid}`,
    'mail_location = maildir:~/Maildir',
    // Index files are read rather than mapped: every delivery grows the transaction log, and
    // each new mapping of it ended in a munmap whose TLB flush on every core cost more than
    // the read (on virtual machines most of all). Safe on local disks and required on NFS.
    'mmap_disable = yes',
    'mail_plugins = $mail_plugins quota',
    // LMTP refuses at RCPT a recipient already over quota (RFC 3463 5.2.2).
    'lmtp_rcpt_check_quota = yes',
    'recipient_delimiter =',
    '',
    'namespace inbox {',
    '  inbox = yes',
    '  separator = /',
    '  mailbox Drafts {',
    '    special_use = \\Drafts',
    '    auto = subscribe',
    '  }',
    '  mailbox Sent {',
    '    special_use = \\Sent',
    '    auto = subscribe',
    '  }',
    '  mailbox Trash {',
    '    special_use = \\Trash',
    '    auto = subscribe',
    '  }',
    '  mailbox Junk {',
    '    special_use = \\Junk',
    '    auto = subscribe',
    '  }',
    '}',
    '',
  );
  if (s.masterUser) {
    // The webmail logs in as `mailbox*webmail` with its own secret (RFC 4616 authzid is not used).
    lines.push(
      'passdb {',
      '  driver = passwd-file',
      '  master = yes',
      '  pass = yes',
      `  args = username_format=%u ${path.join(dir, 'master-users')}`,
      '}',
    );
  }
  const sql = path.join(dir, 'dovecot-sql.conf.ext');
  lines.push(
    ...appPasswordPassdbs(dir),
    'passdb {',
    '  driver = sql',
    `  args = ${sql}`,
    '}',
    'userdb {',
    '  driver = sql',
    `  args = ${sql}`,
    '}',
    '',
    'service imap-login {',
    '  inet_listener imap {',
    ...(priv ? [`    address = ${s.listen}`, `    port = ${s.ports.imap}`] : ['    port = 0']),
    '  }',
    '  inet_listener imaps {',
    priv ? '    port = 0' : '    port = 993',
    '  }',
    '}',
    'service lmtp {',
    '  inet_listener lmtp {',
    '    address = 127.0.0.1',
    `    port = ${s.ports.dovecotLmtp}`,
    '  }',
    '}',
    'service auth {',
  );
  if (priv) {
    lines.push('  inet_listener {', '    address = 127.0.0.1', `    port = ${s.ports.auth}`, '  }');
  } else {
    lines.push(
      `  unix_listener ${path.join(p.postfixQueueDir, 'private', 'auth')} {`,
      '    mode = 0660',
      '    user = postfix',
      '    group = postfix',
      '  }',
    );
  }
  lines.push(
    '}',
    'service quota-status {',
    '  executable = quota-status -p postfix',
    '  inet_listener {',
    '    address = 127.0.0.1',
    `    port = ${s.ports.quotaStatus}`,
    '  }',
    '  client_limit = 1',
    '}',
  );
  if (priv) {
    lines.push('service anvil {', '  unix_listener anvil-auth-penalty {', '    mode = 0', '  }', '}');
  }
  lines.push(
    'protocol imap {',
    `  mail_plugins = $mail_plugins imap_quota${s.defence ? ' imap_sieve' : ''}`,
    '}',
    // Sieve at delivery: each mailbox's own script, and before it giroflee's (delivery.sieve).
    'protocol lmtp {',
    '  mail_plugins = $mail_plugins sieve',
    '}',
    'plugin {',
    '  sieve = file:~/sieve;active=~/.dovecot.sieve',
    ...sievePluginLines(),
    `  sieve_before = ${path.join(s.paths.sieveDir, DELIVERY_SCRIPT)}`,
    // Maildir++ quota: the usage is one small file per mailbox (maildirsize), read by
    // quota-status at RCPT and by LMTP, and appended to at each delivery. The count backend
    // summed the indexes of every folder of the mailbox three times per message instead.
    '  quota = maildir:User quota',
    '  quota_status_success = DUNNO',
    '  quota_status_nouser = DUNNO',
    '  quota_status_overquota = "552 5.2.2 Mailbox is full / Boite pleine"',
    '}',
    ...(s.defence ? defencePlugin(s) : []),
    ...managesieveAndDoveadmLines(s, dir),
    '',
  );
  return lines.filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n');
}

/**
 * The Sieve script run before each mailbox's own: a delivery Dovecot already stored is not stored
 * again; with the defence, what rspamd marked goes to Junk. One script rather than one per rule:
 * Dovecot opens and runs each global script at every delivery.
 */
const DELIVERY_SCRIPT = 'delivery.sieve';
/** imapsieve scripts: a message moved into Junk, or out of it. */
const REPORT_SCRIPTS = ['report-junk.sieve', 'report-not-junk.sieve'];
const REPORT_PROGRAM = 'giroflee-report-junk';

/**
 * The program the imapsieve scripts pipe a moved message to. The message is stored encrypted,
 * but its clear header still carries the fuzzy digests rspamd computed when it arrived
 * (X-Giroflee-Digest): each one is added to rspamd's fuzzy storage under the junk flag (moved
 * into Junk) or removed from it (moved out). Perl, which every Debian system has, so that
 * Dovecot runs it as the mail user without reaching into giroflee's installation. Wire format
 * of rspamd's fuzzy_wire.h, protocol version 4, unencrypted, little-endian: version, command
 * (1 add, 2 delete), shingles count (0: the exact digest), flag, value (int32), tag (uint32),
 * digest (64 bytes); the reply starts with value (0: accepted) and the tag.
 */
function reportProgram(): string {
  return String.raw`#!/usr/bin/perl
# Rendered by giroflee: do not edit, re-render instead.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my ($action, $storage) = @ARGV;
my %commands = (junk => 1, 'not-junk' => 2);
my $command = $commands{$action // ''} or die "usage: $0 junk|not-junk host:port\n";
my @digests;
while (my $line = <STDIN>) {
  $line =~ s/\r?\n\z//;
  last if $line eq '';
  push @digests, pack('H128', $1) if $line =~ /^${DIGEST_HEADER}:[ \t]*([0-9a-f]{128})[ \t]*$/i;
}
# Dovecot writes the whole message: read it to the end.
1 while read(STDIN, my $rest, 65536);
exit 0 unless @digests;

my $socket = IO::Socket::INET->new(PeerAddr => $storage, Proto => 'udp') or die "fuzzy storage: $!\n";
my %pending;
for my $digest (@digests) {
  my $tag = int(rand(4294967295));
  $pending{$tag} = pack('C C C C l< L< a64', 4, $command, 0, ${FUZZY_JUNK_FLAG}, 1, $tag, $digest);
}
for my $try (1 .. 3) {
  $socket->send($_) for values %pending;
  my $select = IO::Select->new($socket);
  while (%pending && $select->can_read(1)) {
    $socket->recv(my $reply, 512);
    next if length($reply) < 16;
    my ($value, $flag, $tag) = unpack('l< L< L<', $reply);
    next unless exists $pending{$tag};
    die "fuzzy storage refused the report ($value)\n" if $value != 0;
    delete $pending{$tag};
  }
  last unless %pending;
}
# EX_TEMPFAIL: the storage did not answer.
exit(%pending ? 75 : 0);
`;
}

/**
 * The inbound gateway writes DELIVERY_HEADER, a digest of Postfix's queue id, on every message
 * it hands Dovecot: a retry of the same queue file carries the same value, a new SMTP
 * transaction (even with the same Message-ID) another. Postfix retries when the 250 for a
 * message Dovecot stored never reached it (the gateway killed, Dovecot closing the connection
 * while it stops; RFC 5321 §6.1): the retry is discarded here instead of stored twice.
 * RFC 7352 §3 has the tracking list (per mailbox, ~/.dovecot.lda-dupes) updated only once the
 * script ran successfully. Seen with strace on Debian's Pigeonhole (Dovecot 2.3.19): the test
 * locks the id (a lock file per id) and reads the list; the message is saved (fsync, rename
 * into new/); then the list is rewritten, the id unlocked, and only then does LMTP answer 250.
 * So a retry that comes meanwhile waits for the first delivery's outcome, and whenever a 250
 * was sent the id was already recorded. Two gaps remain: a Dovecot process killed between the
 * save and that rewrite; and Dovecot 2.3 rewrites the file from what that delivery read at its
 * start, without reading it again under the lock, so a delivery to the same mailbox running at
 * the same time can drop the id (about a quarter of the ids with two to four at once, counted
 * in bench/RESULTS.md), which is why the gateway hands Dovecot one message at a time per mailbox
 * (src/encryption/mailbox-turns.ts). Pigeonhole reads the field's first occurrence, which is the gateway's
 * (written on top; a copy that came from outside sits below it, or inside the encrypted part),
 * and a message without the field (straight to Dovecot, no gateway) is never a duplicate.
 * `discard; stop;` ends the delivery's scripts: the junk rule and the member's own filters see
 * each message once.
 */
function dedupRule(): string[] {
  return [
    `if duplicate :header "${DELIVERY_HEADER}" :handle "giroflee-delivery" :seconds ${DEDUP_SECONDS} {`,
    '  discard;',
    '  stop;',
    '}',
  ];
}

/**
 * How long a delivery id is remembered: Postfix tries a deferred message again within
 * maximal_backoff_time (about an hour); a day covers a long outage of Dovecot, and keeps the
 * file Dovecot rewrites at each delivery to about a day's worth of ids.
 */
const DEDUP_SECONDS = 86_400;

const sieve = (lines: string[]) => ({
  content: ['# Rendered by giroflee: do not edit, re-render instead.', ...lines, ''].join('\n'),
  mode: 0o644,
});

/** The global Sieve scripts (and the junk reports' program), compiled by the caller. */
export function renderSieve(s: MailstackSettings): RenderedFiles {
  const delivery = s.defence
    ? sieve(['require ["duplicate", "fileinto", "mailbox"];', ...dedupRule(), ...junkRule()])
    : sieve(['require ["duplicate"];', ...dedupRule()]);
  const files: RenderedFiles = { [DELIVERY_SCRIPT]: delivery };
  return s.defence ? { ...files, ...defenceSieve(s) } : files;
}

/**
 * Sieve only sees the clear outer headers once the gateway has encrypted a message; X-Spam is
 * one of them, and any copy that came from outside was removed by rspamd before it wrote ours.
 */
function junkRule(): string[] {
  return ['if header :is "X-Spam" "Yes" {', '  fileinto :create "Junk";', '  stop;', '}'];
}

/** The junk / not-junk reports when an IMAP client moves a message in or out of Junk. */
function defenceSieve(s: MailstackSettings): RenderedFiles {
  const storage = `127.0.0.1:${s.ports.rspamdFuzzy}`;
  return {
    [REPORT_SCRIPTS[0]]: sieve([
      'require ["vnd.dovecot.pipe", "copy", "imapsieve"];',
      `pipe :copy "${REPORT_PROGRAM}" ["junk", "${storage}"];`,
    ]),
    // Out of Junk into any folder but Trash: the member says it was not junk after all.
    [REPORT_SCRIPTS[1]]: sieve([
      'require ["vnd.dovecot.pipe", "copy", "imapsieve", "environment", "variables"];',
      'if environment :matches "imap.mailbox" "*" { set "mailbox" "${1}"; }',
      'if string :is "${mailbox}" "Trash" { stop; }',
      `pipe :copy "${REPORT_PROGRAM}" ["not-junk", "${storage}"];`,
    ]),
    [path.join('bin', REPORT_PROGRAM)]: { content: reportProgram(), mode: 0o755 },
  };
}

/**
 * Junk reports when an IMAP client moves a message in or out of Junk. Everywhere but in LMTP
 * (IMAP, and sievec, which compiles the report scripts): Pigeonhole sets Sieve up again for each
 * delivery, loading the plugins it is given and unloading them after, and delivery needs neither.
 */
function defencePlugin(s: MailstackSettings): string[] {
  const dir = s.paths.sieveDir;
  return [
    'protocol !lmtp {',
    '  plugin {',
    '    sieve_plugins = sieve_imapsieve sieve_extprograms',
    '    sieve_global_extensions = +vnd.dovecot.pipe +vnd.dovecot.environment',
    `    sieve_pipe_bin_dir = ${path.join(dir, 'bin')}`,
    '    imapsieve_mailbox1_name = Junk',
    '    imapsieve_mailbox1_causes = COPY APPEND',
    `    imapsieve_mailbox1_before = file:${path.join(dir, REPORT_SCRIPTS[0])}`,
    '    imapsieve_mailbox2_name = *',
    '    imapsieve_mailbox2_from = Junk',
    '    imapsieve_mailbox2_causes = COPY',
    `    imapsieve_mailbox2_before = file:${path.join(dir, REPORT_SCRIPTS[1])}`,
    '  }',
    '}',
  ];
}

export function renderDovecot(s: MailstackSettings): RenderedFiles {
  const files: RenderedFiles = {
    'dovecot.conf': { content: dovecotConf(s), mode: 0o644 },
    'dovecot-sql.conf.ext': { content: sqlConf(s), mode: 0o640 },
    ...mailClientFiles(s, sqlConnection(s)),
  };
  if (s.masterUser) {
    files['master-users'] = {
      content: `${s.masterUser.user}:${s.masterUser.passwordHash}\n`,
      mode: 0o640,
    };
  }
  return files;
}
