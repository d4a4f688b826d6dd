import path from 'node:path';
import type { RenderedFiles } from './render-postfix';
import type { MailstackSettings } from './settings';

/**
 * Dovecot's part for mail programs, kept apart from render-dovecot.ts which includes it:
 * app passwords (two passdbs before the main one), Sieve in LMTP with ManageSieve on loopback,
 * and the doveadm HTTP API on loopback for quota usage and for kicking suspended mailboxes' sessions.
 */

const APP_PASSWORDS_SQL = 'dovecot-sql-app-passwords.conf.ext';
const MAIN_REFUSED_SQL = 'dovecot-sql-main-refused.conf.ext';
const DOVEADM_KEY = 'doveadm-api-key';

/** The passdb query files; `connection` is the driver and connect lines of dovecot-sql.conf.ext. */
export function mailClientFiles(s: MailstackSettings, connection: string[]): RenderedFiles {
  const file = (query: string) => ({
    content: ['# Rendered by giroflee: do not edit, re-render instead.', ...connection, query, ''].join('\n'),
    mode: 0o640,
  });
  const files: RenderedFiles = {
    // `%0.9w`: the first nine characters of the presented password, the app password's lookup
    // key (src/app-passwords); the rest of it never reaches the database.
    [APP_PASSWORDS_SQL]: file(
      "password_query = SELECT address AS user, password_hash AS password FROM mta.app_password_lookup('%u', '%0.9w')",
    ),
    // A deny passdb: a row here fails the login. The webmail's master-user logins (`%{master_user}`
    // set) are not affected: they never present the mailbox's password.
    [MAIN_REFUSED_SQL]: file(
      "password_query = SELECT address AS user, NULL AS password FROM mta.main_password_refused WHERE address = '%u' AND '%{master_user}' = ''",
    ),
  };
  if (s.doveadmApiKey) files[DOVEADM_KEY] = { content: s.doveadmApiKey, mode: 0o600 };
  return files;
}

/** Placed before the main passdb: an app password first, then the refusal of the main password. */
export function appPasswordPassdbs(configDir: string): string[] {
  return [
    'passdb {',
    '  driver = sql',
    `  args = ${path.join(configDir, APP_PASSWORDS_SQL)}`,
    '}',
    'passdb {',
    '  driver = sql',
    `  args = ${path.join(configDir, MAIN_REFUSED_SQL)}`,
    '  deny = yes',
    '}',
  ];
}

/** Where Sieve's vacation replies go: the outbound gateway (DKIM, relays), else the MX. */
function vacationHop(s: MailstackSettings): string {
  return s.outboundFilter ? `${s.outboundFilter.host}:${s.outboundFilter.port}` : `127.0.0.1:${s.ports.mx}`;
}

/** Sieve's limits for the scripts giroflee writes (inside Dovecot's `plugin` block). */
export function sievePluginLines(): string[] {
  return [
    '  sieve_max_script_size = 256k',
    // RFC 5230 §4.1: at least a day between two replies to one sender.
    '  sieve_vacation_min_period = 1d',
  ];
}

/**
 * Sieve runs in LMTP, after the inbound gateway encrypted the message: scripts see the clear
 * headers only. Scripts live in the mailbox's home (backed up with the mail); giroflee writes
 * them through ManageSieve, which listens on loopback only, in both profiles. Vacation replies
 * and redirects leave through `submission_host`, where the outbound gateway refuses those of a
 * suspended mailbox or collective.
 */
export function managesieveAndDoveadmLines(s: MailstackSettings, configDir: string): string[] {
  const lines = [
    `submission_host = ${vacationHop(s)}`,
    'service managesieve-login {',
    '  inet_listener sieve {',
    '    address = 127.0.0.1',
    `    port = ${s.ports.managesieve}`,
    '  }',
    '}',
  ];
  if (s.doveadmApiKey) {
    lines.push(
      `doveadm_api_key = <${path.join(configDir, DOVEADM_KEY)}`,
      'service doveadm {',
      '  inet_listener http {',
      '    address = 127.0.0.1',
      `    port = ${s.ports.doveadm}`,
      '  }',
      '}',
    );
  }
  return lines;
}
