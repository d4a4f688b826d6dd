import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { benchMainCf, DEBIAN_SERVICES, preparePostfixDirs } from '../../bench/lib/bench-postfix';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import { startPostfix, stopPostfix, waitForPort, writeFiles } from '../../src/mailstack/processes';
import { renderPostfix } from '../../src/mailstack/render-postfix';
import {
  databaseParams,
  DEFAULT_PORTS,
  type MailstackSettings,
  PRODUCTION_PATHS,
} from '../../src/mailstack/settings';
import { REAL_STACK_TEST_MS, WAIT_MS } from '../support/wait-until';

jest.setTimeout(REAL_STACK_TEST_MS);

/** The production MX as `giroflee mta render` writes it, with postscreen in front. */
const production: MailstackSettings = {
  profile: 'production',
  hostname: 'mx.giroflee.test',
  listen: '*',
  ports: { ...DEFAULT_PORTS, mx: 25, submission: 587, imap: 993 },
  paths: PRODUCTION_PATHS,
  database: databaseParams('postgres://giroflee:unused@127.0.0.1:5432/giroflee'),
  inbound: { kind: 'dovecot' },
  outboundFilter: null,
  submissionMilter: null,
  sendingPolicy: null,
  stripUserAgent: false,
  vmail: { user: 'vmail', uid: 5000, gid: 5000 },
  tls: { certFile: '/etc/ssl/mx.pem', keyFile: '/etc/ssl/mx.key' },
  defence: null,
  mxHygiene: {
    dnsblSites: ['zen.spamhaus.org*3'],
    dnsblThreshold: 3,
    connectionsPerClient: 10,
    connectionRate: 30,
    messageRate: 60,
    recipientRate: 200,
  },
};

/**
 * The rendered postscreen, on a loopback port of a Postfix of its own: its main.cf settings as
 * rendered, its master.cf services as rendered (the listener on a free port, nothing chrooted,
 * since this queue has no chroot). Three settings differ, each for the test's sake only:
 * loopback, exempt in production, is tested here; no DNS blocklist (no DNS in tests); and the
 * greeting wait is 1 s instead of 6.
 */
function postscreenInstance(port: number): { main: string[]; services: string[] } {
  const files = renderPostfix(production);
  const main = files['main.cf'].content
    .split('\n')
    .filter((l) => l.startsWith('postscreen_') && !/^postscreen_(access_list|dnsbl_sites)\b/.test(l));
  const services: string[] = [];
  let keep = false;
  for (const line of files['master.cf'].content.split('\n')) {
    if (/^\S/.test(line)) {
      const [name, type, priv, unpriv, , wakeup, maxproc, command, ...args] = line.split(/\s+/);
      keep =
        ['postscreen', 'dnsblog', 'tlsproxy'].includes(command) || (command === 'smtpd' && type === 'pass');
      const listener = command === 'postscreen' ? `127.0.0.1:${port}` : name;
      if (keep)
        services.push([listener, type, priv, unpriv, 'n', wakeup, maxproc, command, ...args].join(' '));
    } else if (keep && line.trim()) services.push(line);
  }
  return {
    main: [...main, 'postscreen_access_list =', 'postscreen_dnsbl_sites =', 'postscreen_greet_wait = 1s'],
    services,
  };
}

/** A raw SMTP client: it can speak out of turn, which no SMTP library lets one do. */
class RawSmtp {
  private buffer = '';
  private waiting: (() => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
  }

  static connect(port: number, localAddress: string): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, localAddress }, () =>
        resolve(new RawSmtp(socket)),
      );
      socket.once('error', reject);
    });
  }

  write(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  /**
   * The next reply (RFC 5321 §4.2.1: every line but the last has a hyphen after the code). A
   * reply cut short, whose next line carries another code, is returned on its own: postscreen
   * never finishes its greeting to a client that spoke before it.
   */
  async reply(): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const lines = this.buffer.split('\r\n').slice(0, -1);
      const end = lines.findIndex(
        (l, i) => l[3] === ' ' || (i + 1 < lines.length && lines[i + 1].slice(0, 3) !== l.slice(0, 3)),
      );
      if (end >= 0) {
        const reply = lines.slice(0, end + 1).join('\r\n');
        this.buffer = this.buffer.slice(reply.length + 2);
        return reply;
      }
      if (Date.now() > deadline) throw new Error(`no complete SMTP reply in ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  async command(line: string): Promise<string> {
    this.write(line);
    return this.reply();
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('postscreen in front of the production MX (the rendered configuration, on a real Postfix)', () => {
  let dir: string;
  let port: number;
  let stop: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-postscreen-'));
    [port] = await freeLoopbackPorts(1);
    const p = await preparePostfixDirs(dir);
    const instance = postscreenInstance(port);
    await writeFiles(
      p.config,
      {
        'main.cf': {
          content: [...benchMainCf(p, 'mx.giroflee.test'), ...instance.main].join('\n') + '\n',
          mode: 0o644,
        },
        'master.cf': { content: [...instance.services, ...DEBIAN_SERVICES].join('\n') + '\n', mode: 0o644 },
      },
      'postfix',
    );
    // Registered before the start: a start that times out leaves no Postfix behind.
    stop = () => stopPostfix(p.spool);
    await startPostfix(p.config, path.join(p.log, 'postfix.log'));
    await waitForPort(port);
  });

  afterAll(async () => {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a client that talks before the greeting (RFC 5321 §4.3.1)', async () => {
    const client = await RawSmtp.connect(port, '127.0.0.2');
    try {
      // Out of turn: the client speaks at once, before the server's greeting is complete.
      client.write('EHLO early.example');
      expect(await client.reply()).toMatch(/^220-[^\n]*$/);
      expect(await client.reply()).toMatch(/^250[ -]/);
      expect(await client.command('MAIL FROM:<a@early.example>')).toMatch(/^250 /);
      // postscreen's stand-in server, never smtpd, refuses every recipient for the protocol error.
      expect(await client.command('RCPT TO:<someone@elsewhere.example>')).toMatch(
        /^550 5\.5\.1 Protocol error/,
      );
    } finally {
      client.close();
    }
  });

  it('hands a client that waits for the greeting to the MX smtpd', async () => {
    const client = await RawSmtp.connect(port, '127.0.0.3');
    try {
      expect(await client.reply()).toMatch(/^220 mx\.giroflee\.test ESMTP/m);
      expect(await client.command('EHLO polite.example')).toMatch(/^250[ -]/);
      expect(await client.command('MAIL FROM:<a@polite.example>')).toMatch(/^250 /);
      // smtpd itself answers now: this test instance relays for loopback.
      expect(await client.command('RCPT TO:<someone@elsewhere.example>')).toMatch(/^250 /);
      expect(await client.command('QUIT')).toMatch(/^221 /);
    } finally {
      client.close();
    }
  });
});
