#!/usr/bin/env node
// Checks what the test suite drives for real (Postfix, Dovecot, GnuPG, Chromium: see
// docs/architecture.md, "Tests") and, as root on Debian, installs what is missing. Never skips: when something
// is missing and cannot be installed, it says what and exits non-zero.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// The mail stack's packages (the list giroflee itself installs), then what only the tests use
// (fonts-dejavu-core: stable text in the browser tests' screenshots).
const PACKAGES = [
  ...require('../src/mailstack/debian-packages.json'),
  'gnupg',
  'chromium',
  'fonts-dejavu-core',
];

// What the tests actually run or load, and the package that brings it.
const REQUIRED = [
  { what: 'postfix', package: 'postfix' },
  { what: 'postqueue', package: 'postfix' },
  { what: 'smtp-source', package: 'postfix' },
  { what: '/usr/lib/postfix/postfix-pgsql.so', package: 'postfix-pgsql' },
  { what: 'dovecot', package: 'dovecot-core' },
  { what: 'doveadm', package: 'dovecot-core' },
  { what: '/usr/lib/dovecot/imap', package: 'dovecot-imapd' },
  { what: '/usr/lib/dovecot/lmtp', package: 'dovecot-lmtpd' },
  { what: '/usr/lib/dovecot/modules/auth/libdriver_pgsql.so', package: 'dovecot-pgsql' },
  { what: '/usr/lib/dovecot/modules/lib90_sieve_plugin.so', package: 'dovecot-sieve' },
  { what: '/usr/lib/dovecot/managesieve', package: 'dovecot-managesieved' },
  { what: 'swaks', package: 'swaks' },
  { what: 'rspamd', package: 'rspamd' },
  { what: 'gpg', package: 'gnupg' },
  { what: 'chromium', package: 'chromium' },
  // Stable text metrics for browser tests and screenshots.
  { what: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', package: 'fonts-dejavu-core' },
];

const SEARCH = [...(process.env.PATH || '').split(':'), '/usr/sbin', '/sbin'];

function present(what) {
  if (what.startsWith('/')) return fs.existsSync(what);
  return SEARCH.some((dir) => dir && fs.existsSync(path.join(dir, what)));
}

const missing = () => REQUIRED.filter((r) => !present(r.what));

function fail(message) {
  process.stderr.write(`\ntest prerequisites: ${message}\n\n`);
  process.exit(1);
}

function sh(command, args, input) {
  const r = spawnSync(command, args, {
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) fail(`"${command} ${args.join(' ')}" failed (exit ${r.status ?? r.signal})`);
}

function install() {
  process.stdout.write(`test prerequisites: installing ${PACKAGES.join(' ')}\n`);
  // Installing Postfix must not ask which kind of mail server this is.
  sh('debconf-set-selections', [], 'postfix postfix/main_mailer_type select No configuration\n');
  sh('apt-get', ['update']);
  sh('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES]);
}

const isRoot = process.getuid && process.getuid() === 0;
const isDebian = fs.existsSync('/etc/debian_version');

let absent = missing();
if (absent.length > 0) {
  const list = absent.map((r) => `${r.what} (${r.package})`).join(', ');
  if (!isRoot || !isDebian) {
    fail(
      `missing ${list}.\nInstall as root on Debian:\n` +
        '  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections\n' +
        `  apt-get update && apt-get install -y --no-install-recommends ${PACKAGES.join(' ')}`,
    );
  }
  install();
  absent = missing();
  if (absent.length > 0) fail(`still missing after apt-get install: ${absent.map((r) => r.what).join(', ')}`);
}

// Postfix and Dovecot are started by the tests and drop privileges themselves: they need root.
if (!isRoot) {
  fail('the end-to-end tests start Postfix and Dovecot, which must be started as root; run npm test as root');
}
