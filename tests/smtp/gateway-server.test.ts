import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import {
  coalesceWrites,
  gatewayServerOptions,
  listen,
  type RunningServer,
} from '../../src/smtp/gateway-server';

/** Connects to a loopback port; resolves with the socket and every chunk it receives, as read. */
async function connect(port: number) {
  const chunks: string[] = [];
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('data', (c: Buffer) => chunks.push(c.toString('latin1')));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return { socket, chunks, text: () => chunks.join('') };
}

/** Records each flush of the socket's buffer to the kernel (one write or writev): its number of pieces. */
function countFlushes(s: net.Socket): number[] {
  const flushes: number[] = [];
  const handle = s as unknown as { _writeGeneric(...args: unknown[]): void };
  const writeGeneric = handle._writeGeneric.bind(s);
  handle._writeGeneric = (...args: unknown[]) => {
    flushes.push(Array.isArray(args[1]) ? args[1].length : 1);
    writeGeneric(...args);
  };
  return flushes;
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('coalesced replies of the gateways', () => {
  it('sends what is written in one turn of the event loop as one write, and what follows after it', async () => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((s) => {
      coalesceWrites(s);
      accepted.push(s);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = await connect((server.address() as net.AddressInfo).port);
    try {
      await until(() => accepted.length === 1);
      const s = accepted[0];
      const writes = countFlushes(s);
      s.write('250 OK\r\n');
      s.write('250 OK\r\n');
      s.write('354 go ahead\r\n');
      await until(() => client.text().length === 30);
      expect(writes).toEqual([3]);
      s.write('250 2.0.0 stored\r\n');
      s.end('221 bye\r\n');
      await until(() => client.text().endsWith('221 bye\r\n'));
      expect(client.text()).toBe('250 OK\r\n250 OK\r\n354 go ahead\r\n250 2.0.0 stored\r\n221 bye\r\n');
    } finally {
      client.socket.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('answers pipelined commands (RFC 2920) of an LMTP session in one write', async () => {
    let running: RunningServer | undefined;
    const server = new SMTPServer({
      ...gatewayServerOptions({
        lmtp: true,
        name: 'gw.test',
        banner: 'test',
        maxMessageBytes: 1024,
        timeoutMs: 5000,
      }),
      // As in both gateways: the envelope is checked without waiting for anything.
      onMailFrom: (_address, _session, cb) => cb(),
      onRcptTo: (_address, _session, cb) => cb(),
      onData(stream, session, cb) {
        stream.resume();
        stream.on('end', () =>
          cb(null, session.envelope.rcptTo.map(() => '2.0.0 stored') as unknown as string),
        );
      },
    });
    try {
      running = await listen(server, { host: '127.0.0.1', port: 0 }, 'test gateway');
      const flushes: number[][] = [];
      server.server.on('connection', (s: net.Socket) => flushes.push(countFlushes(s)));
      const client = await connect(running.port);
      await until(() => client.text().startsWith('220 '));
      client.socket.write('LHLO client.test\r\n');
      await until(() => /\r\n250 [^\r]*\r\n$/.test(client.text()));
      client.chunks.length = 0;
      flushes[0].length = 0;
      client.socket.write('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nRCPT TO:<c@x.test>\r\nDATA\r\n');
      await until(() => client.text().includes('354'));
      expect(
        client
          .text()
          .split('\r\n')
          .map((l) => l.slice(0, 3)),
      ).toEqual(['250', '250', '250', '354', '']);
      expect(flushes[0]).toEqual([4]);
      client.chunks.length = 0;
      client.socket.write('Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n');
      await until(() => client.text().includes('221'));
      expect(
        client
          .text()
          .split('\r\n')
          .map((l) => l.slice(0, 3)),
      ).toEqual(['250', '250', '221', '']);
      client.socket.destroy();
    } finally {
      await running?.stop();
    }
  });
});
