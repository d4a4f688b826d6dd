import type { DnsSettings } from '../../src/config';

/** Platform DNS settings used by the DNS tests (authPort is replaced by the fixture's port). */
export const testDnsSettings: DnsSettings = {
  authPort: 53,
  // The fixture nameservers live on loopback.
  privateNameservers: ['127.0.0.0/8'],
  // Generous on purpose: on a loaded 2-core machine a loopback answer can take over a second, and
  // a timeout here turns a right record into "unknown". Only the silent-nameserver cases wait it.
  timeoutMs: 3000,
  checkDeadlineMs: 20000,
  recheckMinutes: 60,
  recheckConcurrency: 8,
  mxHosts: ['mx1.giroflee.test', 'mx2.giroflee.test'],
  spfInclude: '_spf.giroflee.test',
  sendingIps: ['192.0.2.10'],
  dkimZone: 'dkim.giroflee.test',
  dkimEd25519: false,
  dkimRotationDays: 180,
  dkimRetentionDays: 7,
  zoneNameServers: ['ns.giroflee.test'],
  mtaStsMode: 'enforce',
  tlsRptRua: 'mailto:tls-reports@giroflee.test',
  dmarcPolicy: 'quarantine',
  autoconfigHost: 'mail.giroflee.test',
  imapHost: 'mail.giroflee.test',
  submissionHost: 'mail.giroflee.test',
};
