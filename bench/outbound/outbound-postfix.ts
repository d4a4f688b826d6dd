/**
 * The Postfix of bench/outbound: Debian's Postfix with one queue and two listeners that take
 * mail from loopback as submission takes it from a logged-in member, and send it to one next
 * hop (the relay, an smtp-sink): `direct` hands it straight to Postfix's smtp client; `filtered`
 * passes it through giroflee's outbound gateway first, as content_filter, with the `outfilter`
 * transport giroflee renders (src/mailstack/render-postfix.ts). The gateway relays to the same
 * sink. What separates the two rates is the gateway's hop.
 */
import fsSync from 'node:fs';
import path from 'node:path';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import { startPostfix, stopPostfix, waitForPort, writeFiles } from '../../src/mailstack/processes';
import { benchMainCf, DEBIAN_SERVICES, preparePostfixDirs } from '../lib/bench-postfix';

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
  const p = await preparePostfixDirs(path.resolve(dir));
  const mainCf = [
    ...benchMainCf(p, 'mail.bench.giroflee.test'),
    'smtp_tls_security_level = none',
    'smtpd_relay_restrictions = permit_mynetworks, reject',
    `relayhost = [127.0.0.1]:${sinkPort}`,
    'message_size_limit = 52428800',
  ];
  const services = [
    `127.0.0.1:${direct} inet n - n - - smtpd`,
    `127.0.0.1:${filtered} inet n - n - - smtpd -o content_filter=outfilter:[127.0.0.1]:${gatewayPort}`,
    // giroflee's outfilter transport, option for option.
    'outfilter unix - - n - - smtp -o syslog_name=postfix/outfilter -o smtp_send_xforward_command=no' +
      ' -o smtp_tls_security_level=none -o smtp_dns_support_level=disabled -o smtp_data_done_timeout=1200s',
    ...DEBIAN_SERVICES,
  ];
  await writeFiles(
    p.config,
    {
      'main.cf': { content: mainCf.join('\n') + '\n', mode: 0o644 },
      'master.cf': { content: services.join('\n') + '\n', mode: 0o644 },
    },
    'postfix',
  );
  const stop = () => stopPostfix(p.spool);
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
