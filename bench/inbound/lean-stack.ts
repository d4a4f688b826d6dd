/**
 * The lean yardstick of bench/inbound: the same Debian Postfix and Dovecot doing the same kinds
 * of work per message as giroflee's plain pipeline, configured as plainly as those packages
 * allow. Postfix looks up the domain, the mailbox and the alias in PostgreSQL (three small
 * tables, one query each) and hands the message to Dovecot over LMTP, one recipient per
 * transaction; Dovecot finds the user with sql passdb/userdb, keeps a Maildir++ quota and runs
 * the Sieve plugin at delivery. Nothing else: no policy service, no quota check before DATA, no
 * views. It reads the same PostgreSQL server as giroflee (its own `lean` schema), so whatever
 * separates the two rates comes from the configurations, not from the database server.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import {
  ensureVmailUser,
  startDovecot,
  startPostfix,
  stopDovecot,
  stopPostfix,
  systemUser,
  waitForPort,
  writeFiles,
} from '../../src/mailstack/processes';
import { databaseParams } from '../../src/mailstack/settings';

export interface LeanStack {
  mx: number;
  domain: string;
  /** Adds a mailbox and returns its address and the folder where delivered mail appears. */
  addMailbox(localPart: string): Promise<{ address: string; maildirNew: string }>;
  postfixPidFile: string;
  dovecotPidFile: string;
  stop(): Promise<void>;
}

const DOMAIN = 'lean.bench.example';

export async function startLeanStack(db: Knex, databaseUrl: string, dir: string): Promise<LeanStack> {
  const pg = databaseParams(databaseUrl);
  await db.raw(`
    DROP SCHEMA IF EXISTS lean CASCADE;
    CREATE SCHEMA lean;
    CREATE TABLE lean.domains (name text PRIMARY KEY);
    CREATE TABLE lean.mailboxes (email text PRIMARY KEY, domain text NOT NULL REFERENCES lean.domains,
                                 password text NOT NULL, quota_mb integer NOT NULL);
    CREATE TABLE lean.aliases (source text PRIMARY KEY, destination text NOT NULL);
  `);
  await db('lean.domains').insert({ name: DOMAIN });
  await db('lean.aliases').insert({ source: `info@${DOMAIN}`, destination: `postmaster@${DOMAIN}` });

  const [mx, lmtp, imap] = await freeLoopbackPorts(3);
  const vmail = await ensureVmailUser();
  const postfixUser = await systemUser('postfix');
  const root = path.resolve(dir);
  const p = {
    postfix: path.join(root, 'postfix'),
    spool: path.join(root, 'spool'),
    data: path.join(root, 'postfix-data'),
    log: path.join(root, 'log'),
    dovecot: path.join(root, 'dovecot'),
    mail: path.join(root, 'mail'),
  };
  await fs.mkdir(root, { recursive: true });
  await fs.chmod(root, 0o711);
  for (const d of [p.spool, p.log, p.dovecot]) await fs.mkdir(d, { recursive: true, mode: 0o755 });
  await fs.mkdir(p.data, { recursive: true, mode: 0o700 });
  await fs.chown(p.data, postfixUser.uid, postfixUser.gid);
  await fs.mkdir(p.mail, { recursive: true, mode: 0o700 });
  await fs.chown(p.mail, vmail.uid, vmail.gid);

  const connection = `hosts = ${pg.host}:${pg.port}\nuser = ${pg.user}\npassword = ${pg.password}\ndbname = ${pg.database}\n`;
  const map = (query: string) => ({ content: `${connection}query = ${query}\n`, mode: 0o640 });
  const mainCf = [
    'compatibility_level = 3.6',
    `queue_directory = ${p.spool}`,
    `data_directory = ${p.data}`,
    `maillog_file = ${path.join(p.log, 'postfix.log')}`,
    `maillog_file_prefixes = ${p.log}`,
    'myhostname = mx.lean.bench.example',
    'mydestination =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'alias_maps =',
    'alias_database =',
    'smtpd_peername_lookup = no',
    'smtp_dns_support_level = disabled',
    'lmtp_dns_support_level = disabled',
    'smtp_host_lookup = native',
    'lmtp_host_lookup = native',
    'default_transport = error:no mail leaves the yardstick',
    'local_transport = error:no local delivery',
    'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
    'smtpd_recipient_restrictions = reject_unlisted_recipient',
    `virtual_mailbox_domains = pgsql:${path.join(p.postfix, 'domains.cf')}`,
    `virtual_mailbox_maps = pgsql:${path.join(p.postfix, 'mailboxes.cf')}`,
    `virtual_alias_maps = pgsql:${path.join(p.postfix, 'aliases.cf')}`,
    `virtual_transport = lmtp:inet:127.0.0.1:${lmtp}`,
    'lmtp_destination_recipient_limit = 1',
  ];
  // Debian's master.cf services, none chrooted (the private queue has no chroot files).
  const services = [
    `127.0.0.1:${mx} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'proxywrite unix - - n - 1 proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'lmtp unix - - n - - lmtp',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  await writeFiles(
    p.postfix,
    {
      'main.cf': { content: mainCf.join('\n') + '\n', mode: 0o644 },
      'master.cf': { content: services.join('\n') + '\n', mode: 0o644 },
      'domains.cf': map(`SELECT name FROM lean.domains WHERE name = '%s'`),
      'mailboxes.cf': map(`SELECT 'ok' FROM lean.mailboxes WHERE email = '%s'`),
      'aliases.cf': map(`SELECT destination FROM lean.aliases WHERE source = '%s'`),
    },
    'postfix',
  );

  const sql = path.join(p.dovecot, 'sql.conf.ext');
  const dovecotConf = [
    `base_dir = ${path.join(p.dovecot, 'run')}`,
    `state_dir = ${path.join(p.dovecot, 'state')}`,
    `instance_name = giroflee-bench-lean-${path.basename(root)}`,
    'protocols = imap lmtp',
    'listen = 127.0.0.1',
    `log_path = ${path.join(p.log, 'dovecot.log')}`,
    'ssl = no',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain',
    'auth_failure_delay = 0',
    `mail_uid = ${vmail.uid}`,
    `mail_gid = ${vmail.gid}`,
    `first_valid_uid = ${vmail.uid}`,
    'mail_location = maildir:~/Maildir',
    'mail_plugins = quota',
    'service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}',
    `service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${imap}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
    `service lmtp {\n  inet_listener lmtp {\n    address = 127.0.0.1\n    port = ${lmtp}\n  }\n}`,
    `protocol lmtp {\n  mail_plugins = $mail_plugins sieve\n  postmaster_address = postmaster@${DOMAIN}\n}`,
    'protocol imap {\n  mail_plugins = $mail_plugins imap_quota\n}',
    `passdb {\n  driver = sql\n  args = ${sql}\n}`,
    `userdb {\n  driver = sql\n  args = ${sql}\n}`,
    'plugin {\n  quota = maildir:User quota\n  sieve = file:~/sieve;active=~/.dovecot.sieve\n}',
  ];
  const connect = `host=${pg.host} port=${pg.port} dbname=${pg.database} user=${pg.user} password=${pg.password}`;
  const sqlConf = [
    'driver = pgsql',
    `connect = "${connect}"`,
    'default_pass_scheme = ARGON2ID',
    "password_query = SELECT email AS user, password FROM lean.mailboxes WHERE email = '%u'",
    `user_query = SELECT '${p.mail}/' || domain || '/' || split_part(email, '@', 1) AS home, '*:storage=' || quota_mb || 'M' AS quota_rule FROM lean.mailboxes WHERE email = '%u'`,
    'iterate_query = SELECT email AS user FROM lean.mailboxes',
  ];
  await writeFiles(
    p.dovecot,
    {
      'dovecot.conf': { content: dovecotConf.join('\n') + '\n', mode: 0o644 },
      'sql.conf.ext': { content: sqlConf.join('\n') + '\n', mode: 0o640 },
    },
    'dovecot',
  );

  const dovecotFile = path.join(p.dovecot, 'dovecot.conf');
  const dovecotRun = path.join(p.dovecot, 'run');
  const stop = async () => {
    await stopPostfix(p.postfix, p.spool);
    await stopDovecot(dovecotFile, dovecotRun);
  };
  try {
    await startDovecot(dovecotFile, path.join(p.log, 'dovecot.log'));
    await waitForPort(lmtp);
    await startPostfix(p.postfix, path.join(p.log, 'postfix.log'));
    await waitForPort(mx);
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
  return {
    mx,
    domain: DOMAIN,
    async addMailbox(localPart) {
      const address = `${localPart}@${DOMAIN}`;
      await db('lean.mailboxes').insert({
        email: address,
        domain: DOMAIN,
        password: '{PLAIN}unused',
        quota_mb: 1_000_000,
      });
      return { address, maildirNew: path.join(p.mail, DOMAIN, localPart, 'Maildir', 'new') };
    },
    postfixPidFile: path.join(p.spool, 'pid', 'master.pid'),
    dovecotPidFile: path.join(dovecotRun, 'master.pid'),
    stop,
  };
}
