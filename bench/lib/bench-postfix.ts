/**
 * What the benches' own Postfix instances share: a private queue under one folder, the main.cf
 * lines every loopback-only bench instance needs, and Debian's master.cf services, none chrooted
 * (the private queue has no chroot files). Each bench adds its listeners and routing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { systemUser } from '../../src/mailstack/processes';

export interface BenchPostfixPaths {
  config: string;
  spool: string;
  data: string;
  log: string;
}

/** Creates the instance's folders under `root` with the owners and modes Postfix insists on. */
export async function preparePostfixDirs(root: string): Promise<BenchPostfixPaths> {
  const postfixUser = await systemUser('postfix');
  const p = {
    config: path.join(root, 'postfix'),
    spool: path.join(root, 'spool'),
    data: path.join(root, 'postfix-data'),
    log: path.join(root, 'log'),
  };
  await fs.mkdir(root, { recursive: true });
  await fs.chmod(root, 0o711);
  for (const d of [p.spool, p.log]) await fs.mkdir(d, { recursive: true, mode: 0o755 });
  await fs.mkdir(p.data, { recursive: true, mode: 0o700 });
  await fs.chown(p.data, postfixUser.uid, postfixUser.gid);
  return p;
}

/** main.cf lines of a loopback-only instance that resolves nothing and delivers nothing locally. */
export function benchMainCf(p: BenchPostfixPaths, hostname: string): string[] {
  return [
    'compatibility_level = 3.6',
    `queue_directory = ${p.spool}`,
    `data_directory = ${p.data}`,
    `maillog_file = ${path.join(p.log, 'postfix.log')}`,
    `maillog_file_prefixes = ${p.log}`,
    `myhostname = ${hostname}`,
    'mydestination =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'alias_maps =',
    'alias_database =',
    'smtpd_peername_lookup = no',
    'smtp_dns_support_level = disabled',
    'smtp_host_lookup = native',
    'local_transport = error:no local delivery',
  ];
}

/** Debian's master.cf services, without the listeners. */
export const DEBIAN_SERVICES = [
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
