import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { thunderbirdAutoconfig } from '../../src/autoconfig/thunderbird-autoconfig';
import { loadConfig } from '../../src/config';
import { recordPlan } from '../../src/dns/record-plan';
import { ensureVmailUser } from '../../src/mailstack/processes';
import { renderDovecot } from '../../src/mailstack/render-dovecot';
import { renderPostfix } from '../../src/mailstack/render-postfix';
import { productionSettings } from '../../src/mailstack/render-production';
import { privateSettings } from '../../src/mailstack/start-mailstack';
import type { MailstackSettings } from '../../src/mailstack/settings';

/** Postfix's and Dovecot's own parsers read the rendered files back (postconf, doveconf). */
function parse(s: MailstackSettings) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-render-clients-'));
  try {
    for (const [sub, files] of [
      ['postfix', renderPostfix(s)],
      ['dovecot', renderDovecot(s)],
    ] as const) {
      fs.mkdirSync(path.join(dir, sub));
      for (const [name, { content }] of Object.entries(files))
        fs.writeFileSync(path.join(dir, sub, name), content);
    }
    // doveconf reads `<file` values: point them at the files just written.
    const conf = path.join(dir, 'dovecot', 'dovecot.conf');
    fs.writeFileSync(
      conf,
      fs
        .readFileSync(conf, 'utf8')
        .replaceAll(path.dirname(s.paths.dovecotConfigFile), path.join(dir, 'dovecot')),
    );
    const postconf = (args: string[]) =>
      execFileSync('postconf', ['-c', path.join(dir, 'postfix'), ...args], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString();
    return {
      master: postconf(['-M']),
      masterOptions: postconf(['-P']),
      dovecot: execFileSync('doveconf', ['-c', conf, '-n']).toString(),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const env = {
  NODE_ENV: 'test',
  GIROFLEE_DATA_DIR: '/nonexistent-giroflee-test',
  GIROFLEE_PLATFORM_HOSTNAME: 'mail.collectif.example',
};

describe('mail programs in the rendered Postfix and Dovecot', () => {
  let production: MailstackSettings;
  let privateStack: MailstackSettings;

  beforeAll(async () => {
    const vmail = await ensureVmailUser();
    production = await productionSettings(loadConfig(env), {
      vmail,
      hostname: 'mail.collectif.example',
      databaseUrl: 'postgres://mta:pw@127.0.0.1:5432/giroflee',
      tls: { certFile: '/etc/ssl/mx.pem', keyFile: '/etc/ssl/mx.key' },
      masterUser: { user: 'webmail', password: 'secret' },
      doveadmApiKey: 'doveadm-secret',
    });
    privateStack = await privateSettings({
      dir: '/srv/stack',
      databaseUrl: 'postgres://mta:pw@127.0.0.1:5432/giroflee',
      doveadmApiKey: 'doveadm-secret',
    });
  });

  it('production: submission on 465 with implicit TLS beside 587, IMAPS 993; ManageSieve and doveadm on loopback only', () => {
    const { master, masterOptions, dovecot } = parse(production);
    expect(master).toMatch(/^submissions\s+inet\s+n\s+-\s+y\s+-\s+-\s+smtpd\b/m);
    expect(master).toMatch(/^submission\s+inet\s+n\s+-\s+y\s+-\s+-\s+smtpd\b/m);
    expect(masterOptions).toContain('submissions/inet/smtpd_tls_wrappermode = yes');
    expect(masterOptions).toContain('submissions/inet/smtpd_tls_security_level = encrypt');
    expect(masterOptions).toContain('submissions/inet/smtpd_sasl_auth_enable = yes');
    expect(masterOptions).toContain(
      'submissions/inet/smtpd_sender_restrictions = reject_sender_login_mismatch',
    );
    // 465 holds From and Sender to the login exactly as 587 does (giroflee's submission milter).
    const milter = /^submission\/inet\/smtpd_milters = (.+)$/m.exec(masterOptions)?.[1];
    expect(milter).toMatch(/^inet:127\.0\.0\.1:\d+$/);
    expect(masterOptions).toContain(`submissions/inet/smtpd_milters = ${milter}`);
    expect(dovecot).toMatch(/inet_listener imaps \{\s+port = 993/);
    expect(dovecot).toMatch(/protocols = imap lmtp sieve/);
    expect(dovecot).toMatch(/inet_listener sieve \{\s+address = 127\.0\.0\.1\s+port = 4190/);
    expect(dovecot).toMatch(/inet_listener http \{\s+address = 127\.0\.0\.1\s+port = 12341/);
    expect(dovecot).toMatch(/protocol lmtp \{\s+mail_plugins = [^\n]*quota sieve/);
    // Vacation replies leave through the outbound gateway (DKIM, relays).
    expect(dovecot).toContain('submission_host = 127.0.0.1:10025');
  });

  it('checks an app password, then refuses a main password the mailbox gave up, before the main passdb', () => {
    const { dovecot } = parse(production);
    const passdbs = [...dovecot.matchAll(/passdb \{([^}]*)\}/g)].map((m) => m[1]);
    expect(passdbs.map((p) => (p.match(/args = [^\n]*?(\S+)\n/) ?? [])[1]?.split('/').pop())).toEqual([
      'master-users',
      'dovecot-sql-app-passwords.conf.ext',
      'dovecot-sql-main-refused.conf.ext',
      'dovecot-sql.conf.ext',
    ]);
    expect(passdbs[2]).toMatch(/deny = yes/);
  });

  it('private: implicit TLS submission on its own loopback port with the self-signed certificate', () => {
    const { master, masterOptions } = parse(privateStack);
    const port = privateStack.ports.submissions;
    expect(master).toMatch(
      new RegExp(`^127\\.0\\.0\\.1:${port}\\s+inet\\s+n\\s+-\\s+n\\s+-\\s+-\\s+smtpd\\b`, 'm'),
    );
    expect(masterOptions).toContain(`127.0.0.1:${port}/inet/smtpd_tls_wrappermode = yes`);
    expect(masterOptions).toContain(`127.0.0.1:${port}/inet/smtpd_tls_cert_file = /srv/stack/tls/cert.pem`);
    expect(masterOptions).toContain(`127.0.0.1:${port}/inet/smtpd_tls_key_file = /srv/stack/tls/key.pem`);
  });

  it('announces and publishes exactly the ports production serves', () => {
    const config = loadConfig(env);
    const { master, dovecot } = parse(production);
    const served = {
      imaps: Number(/inet_listener imaps \{\s+port = (\d+)/.exec(dovecot)![1]),
      submissions: master.match(/^submissions\s/m) ? 465 : 0,
      submission: master.match(/^submission\s/m) ? 587 : 0,
    };
    expect(served).toEqual({ imaps: 993, submissions: 465, submission: 587 });

    const doc = new DOMParser().parseFromString(
      thunderbirdAutoconfig(config.mailClients, 'collectif.example'),
      'text/xml',
    );
    const announced = (tag: string) =>
      Array.from(doc.getElementsByTagName(tag)).map((e) => [
        e.getElementsByTagName('port')[0].textContent,
        e.getElementsByTagName('socketType')[0].textContent,
      ]);
    expect(announced('incomingServer')).toEqual([['993', 'SSL']]);
    expect(announced('outgoingServer')).toEqual([
      ['465', 'SSL'],
      ['587', 'STARTTLS'],
    ]);

    const plan = recordPlan(config.dns, { name: 'collectif.example', verification_token: 't' }, []);
    // Nothing else is advertised: each other record names a host or a policy giroflee answers
    // (mail, MTA-STS) or a plain DNS fact (verification, SPF, DKIM's advice, DMARC, TLS reports).
    expect(new Set(plan.map((r) => r.check))).toEqual(
      new Set([
        'verification',
        'mx',
        'spf',
        'dkim',
        'dmarc',
        'mta-sts',
        'tls-rpt',
        'autoconfig',
        'autodiscover',
        'srv',
      ]),
    );
    expect(plan.filter((r) => r.check === 'srv').map((r) => [r.name, r.value])).toEqual([
      ['_submissions._tcp.collectif.example', '0 1 465 mail.collectif.example'],
      ['_submission._tcp.collectif.example', '10 1 587 mail.collectif.example'],
      ['_imaps._tcp.collectif.example', '0 1 993 mail.collectif.example'],
    ]);
    expect(
      plan.filter((r) => r.type === 'CNAME' && /^auto/.test(r.name)).map((r) => [r.name, r.value]),
    ).toEqual([
      ['autoconfig.collectif.example', 'mail.collectif.example'],
      ['autodiscover.collectif.example', 'mail.collectif.example'],
    ]);
  });
});
