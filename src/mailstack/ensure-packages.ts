import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import MAIL_PACKAGES from './debian-packages.json';
import { MailstackError } from './processes';

// Debian's packages the mail stack runs (Debian 12: Postfix 3.7, Dovecot 2.3, rspamd 3.4), listed once in
// debian-packages.json, which scripts/test-prerequisites.js reads too.

const NEEDED = [
  '/usr/sbin/postfix',
  '/usr/sbin/postqueue',
  '/usr/lib/postfix/postfix-pgsql.so',
  '/usr/sbin/dovecot',
  '/usr/bin/doveadm',
  '/usr/lib/dovecot/imap',
  '/usr/lib/dovecot/lmtp',
  '/usr/lib/dovecot/quota-status',
  '/usr/lib/dovecot/modules/lib90_sieve_plugin.so',
  '/usr/lib/dovecot/managesieve',
  '/usr/lib/dovecot/modules/auth/libdriver_pgsql.so',
  '/usr/bin/rspamd',
];

const missing = () => NEEDED.filter((f) => !fs.existsSync(f));

function apt(args: string[], input?: string): void {
  const r = spawnSync(args[0], args.slice(1), {
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new MailstackError(`"${args.join(' ')}" failed (exit ${r.status ?? r.signal})`);
}

/**
 * Postfix and Dovecot must be present and started as root (they drop privileges themselves).
 * As root on Debian, missing packages are installed; otherwise the error says what to do.
 */
export function ensureMailPackages(): void {
  const isRoot = process.getuid?.() === 0;
  if (missing().length > 0) {
    if (!isRoot || !fs.existsSync('/etc/debian_version')) {
      throw new MailstackError(
        `missing ${missing().join(', ')}: as root, apt-get install -y --no-install-recommends ${MAIL_PACKAGES.join(' ')}`,
      );
    }
    // Installing Postfix must not ask which kind of mail server this is.
    apt(['debconf-set-selections'], 'postfix postfix/main_mailer_type select No configuration\n');
    apt(['apt-get', 'update']);
    apt(['apt-get', 'install', '-y', '--no-install-recommends', ...MAIL_PACKAGES]);
    if (missing().length > 0)
      throw new MailstackError(`still missing after install: ${missing().join(', ')}`);
  }
  if (!isRoot) throw new MailstackError('Postfix and Dovecot must be started as root');
}
