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
  waitForPort,
  writeFiles,
} from '../../src/mailstack/processes';
import { databaseParams } from '../../src/mailstack/settings';
import { benchMainCf, DEBIAN_SERVICES, preparePostfixDirs } from '../lib/bench-postfix';

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
  const root = path.resolve(dir);
  const pf = await preparePostfixDirs(root);
  const p = { ...pf, dovecot: path.join(root, 'dovecot'), mail: path.join(root, 'mail') };
  await fs.mkdir(p.dovecot, { recursive: true, mode: 0o755 });
  await fs.mkdir(p.mail, { recursive: true, mode: 0o700 });
  await fs.chown(p.mail, vmail.uid, vmail.gid);

  const connection = `hosts = ${pg.host}:${pg.port}\nuser = ${pg.user}\npassword = ${pg.password}\ndbname = ${pg.database}\n`;
  const map = (query: string) => ({ content: `${connection}query = ${query}\n`, mode: 0o640 });
  const mainCf = [
    ...benchMainCf(p, 'mx.lean.bench.example'),
    'lmtp_dns_support_level = disabled',
    'lmtp_host_lookup = native',
    'default_transport = error:no mail leaves the yardstick',
    'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
    'smtpd_recipient_restrictions = reject_unlisted_recipient',
    `virtual_mailbox_domains = pgsql:${path.join(p.config, 'domains.cf')}`,
    `virtual_mailbox_maps = pgsql:${path.join(p.config, 'mailboxes.cf')}`,
    `virtual_alias_maps = pgsql:${path.join(p.config, 'aliases.cf')}`,
    `virtual_transport = lmtp:inet:127.0.0.1:${lmtp}`,
    'lmtp_destination_recipient_limit = 1',
  ];
  const services = [`127.0.0.1:${mx} inet n - n - - smtpd`, ...DEBIAN_SERVICES];
  await writeFiles(
    p.config,
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
    await stopPostfix(p.spool);
    await stopDovecot(dovecotFile, dovecotRun);
  };
  try {
    await startDovecot(dovecotFile, path.join(p.log, 'dovecot.log'));
    await waitForPort(lmtp);
    await startPostfix(p.config, path.join(p.log, 'postfix.log'));
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
