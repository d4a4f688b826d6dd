/**
 * The Postfix of bench/outbound: Debian's Postfix with one queue and two listeners that take
 * mail from loopback as submission takes it from a logged-in member, and send it to one next
 * hop (the relay, an smtp-sink): `direct` hands it straight to Postfix's smtp client; `filtered`
 * passes it through giroflee's outbound gateway first, as content_filter, with the `outfilter`
 * transport giroflee renders (src/mailstack/render-postfix.ts). The gateway relays to the same
 * sink. What separates the two rates is the gateway's hop.
 */
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import {
  startPostfix,
  stopPostfix,
  systemUser,
  waitForPort,
  writeFiles,
} from '../../src/mailstack/processes';

export interface OutboundPostfix {
  /** Mail sent here goes straight to the sink. */
  direct: number;
  /** Mail sent here goes through the outbound gateway, which relays it to the sink. */
  filtered: number;
  /**
   * Deliveries Postfix logged as sent so far (to the sink, or to the gateway, which answers only
   * once the sink took the message): read from its log, so that waiting costs no process.
   */
  sent(): number;
  postfixPidFile: string;
  stop(): Promise<void>;
}

export async function startOutboundPostfix(
  dir: string,
  sinkPort: number,
  gatewayPort: number,
): Promise<OutboundPostfix> {
  const [direct, filtered] = await freeLoopbackPorts(2);
  const postfixUser = await systemUser('postfix');
  const root = path.resolve(dir);
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
  const mainCf = [
    'compatibility_level = 3.6',
    `queue_directory = ${p.spool}`,
    `data_directory = ${p.data}`,
    `maillog_file = ${path.join(p.log, 'postfix.log')}`,
    `maillog_file_prefixes = ${p.log}`,
    'myhostname = mail.bench.giroflee.test',
    'mydestination =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'alias_maps =',
    'alias_database =',
    'smtpd_peername_lookup = no',
    'smtp_dns_support_level = disabled',
    'smtp_host_lookup = native',
    'smtp_tls_security_level = none',
    'local_transport = error:no local delivery',
    'smtpd_relay_restrictions = permit_mynetworks, reject',
    `relayhost = [127.0.0.1]:${sinkPort}`,
    'message_size_limit = 52428800',
  ];
  // Debian's master.cf services, none chrooted (the private queue has no chroot files).
  const services = [
    `127.0.0.1:${direct} inet n - n - - smtpd`,
    `127.0.0.1:${filtered} inet n - n - - smtpd -o content_filter=outfilter:[127.0.0.1]:${gatewayPort}`,
    // giroflee's outfilter transport, option for option.
    'outfilter unix - - n - - smtp -o syslog_name=postfix/outfilter -o smtp_send_xforward_command=no' +
      ' -o smtp_tls_security_level=none -o smtp_dns_support_level=disabled -o smtp_data_done_timeout=1200s',
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
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  await writeFiles(
    p.config,
    {
      'main.cf': { content: mainCf.join('\n') + '\n', mode: 0o644 },
      'master.cf': { content: services.join('\n') + '\n', mode: 0o644 },
    },
    'postfix',
  );
  const stop = () => stopPostfix(p.config, p.spool);
  try {
    await stop();
    await startPostfix(p.config, path.join(p.log, 'postfix.log'));
    await waitForPort(direct);
    await waitForPort(filtered);
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
  const log = path.join(p.log, 'postfix.log');
  let offset = 0;
  let sent = 0;
  let partial = '';
  return {
    direct,
    filtered,
    sent() {
      const fd = fsSync.openSync(log, 'r');
      try {
        const size = fsSync.fstatSync(fd).size;
        if (size > offset) {
          const chunk = Buffer.alloc(size - offset);
          fsSync.readSync(fd, chunk, 0, chunk.length, offset);
          offset = size;
          const lines = (partial + chunk.toString('utf8')).split('\n');
          partial = lines.pop()!;
          sent += lines.filter((l) => l.includes(' status=sent ')).length;
        }
      } finally {
        fsSync.closeSync(fd);
      }
      return sent;
    },
    postfixPidFile: path.join(p.spool, 'pid', 'master.pid'),
    stop,
  };
}
