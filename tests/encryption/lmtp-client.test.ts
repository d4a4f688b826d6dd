import { Readable } from 'node:stream';
import { LmtpClient, NotSentError, PayloadError } from '../../src/encryption/lmtp-client';
import { LmtpClientPool } from '../../src/encryption/lmtp-client-pool';
import { waitUntil } from '../support/wait-until';
import { startFakeDownstream, startScriptedLmtp } from './lmtp-helpers';

/**
 * The LMTP client against a server without CHUNKING (smtp-server): DATA, dot-stuffed. Its BDAT
 * path is proven against the real Dovecot (tests/e2e/inbound-gateway.test.ts); a scripted server
 * replays what Dovecot does to idle connections when it stops.
 */
describe('LMTP client to the next hop', () => {
  let downstream: Awaited<ReturnType<typeof startFakeDownstream>>;
  let client: LmtpClient;

  beforeAll(async () => {
    downstream = await startFakeDownstream();
  });
  afterAll(async () => {
    client?.close();
    await downstream?.close();
  });
  beforeEach(async () => {
    downstream.stored.length = 0;
    client = await LmtpClient.open({
      host: '127.0.0.1',
      port: downstream.port,
      name: 'test',
      timeoutMs: 10_000,
    });
  });
  afterEach(() => client.quit());

  const message = Buffer.from(
    ['Subject: dots', '', '.', '..', '.leading dot', 'a line', '.', 'BDAT 5 LAST', 'last line', ''].join(
      '\r\n',
    ),
  );

  it('sends DATA when the server has no CHUNKING, lines starting with a dot arriving unchanged', async () => {
    expect(client.capabilities.has('CHUNKING')).toBe(false);
    const replies = await client.send('a@x.test', ['b@x.test'], message);
    expect(replies.get('b@x.test')?.code).toBe(250);
    const streamed = await client.send(
      'a@x.test',
      ['c@x.test'],
      Readable.from([message.subarray(0, 16), message.subarray(16, 17), message.subarray(17)]),
    );
    expect(streamed.get('c@x.test')?.code).toBe(250);
    expect(downstream.stored.map((s) => [s.rcpt, s.message.toString('latin1')])).toEqual([
      ['b@x.test', message.toString('latin1')],
      ['c@x.test', message.toString('latin1')],
    ]);
  });

  it('gives each recipient its RCPT refusal, and sends nothing when none is accepted', async () => {
    const replies = await client.send('a@x.test', ['refuse@x.test', 'ok@x.test'], message);
    expect(replies.get('refuse@x.test')?.code).toBe(550);
    expect(replies.get('ok@x.test')?.code).toBe(250);
    const none = await client.send('a@x.test', ['refuse2@x.test'], message);
    expect(none.get('refuse2@x.test')?.code).toBe(550);
    expect(client.usable).toBe(true);
    expect(downstream.stored.map((s) => s.rcpt)).toEqual(['ok@x.test']);
  });

  it('drops the connection before the final dot when the message stream fails: nothing stored', async () => {
    const failing = new Readable({
      read() {
        this.push(message);
        this.destroy(new Error('encryption failed'));
      },
    });
    await expect(client.send('a@x.test', ['b@x.test'], failing)).rejects.toBeInstanceOf(PayloadError);
    expect(client.usable).toBe(false);
    const again = await LmtpClient.open({
      host: '127.0.0.1',
      port: downstream.port,
      name: 'test',
      timeoutMs: 10_000,
    });
    expect((await again.send('a@x.test', ['c@x.test'], message)).get('c@x.test')?.code).toBe(250);
    again.quit();
    expect(downstream.stored.map((s) => s.rcpt)).toEqual(['c@x.test']);
  });
});

describe('LMTP connections that go stale in the pool', () => {
  const message = Buffer.from('Subject: stale\r\n\r\nbody\r\n');
  const SHUTTING_DOWN = '421 4.3.2 Shutting down';
  const servers: Array<{ close(): Promise<void> }> = [];
  const pools: LmtpClientPool[] = [];
  afterAll(async () => {
    for (const p of pools) await p.close();
    for (const s of servers) await s.close();
  });
  const scripted = async (script: Parameters<typeof startScriptedLmtp>[0]) => {
    const server = await startScriptedLmtp(script);
    servers.push(server);
    return server;
  };
  const poolTo = (port: number) => {
    const pool = new LmtpClientPool({
      nextHop: { host: '127.0.0.1', port },
      name: 'test',
      maxConnections: 1,
      timeoutMs: 10_000,
    });
    pools.push(pool);
    return pool;
  };

  it('ends the session on a reply it did not ask for, and never reads it as the answer to a later command', async () => {
    // The server stays connected after its 421, the worst case for a client that queued it.
    const server = await scripted({ idle: (n, socket) => n === 0 && socket.write(`${SHUTTING_DOWN}\r\n`) });
    const client = await LmtpClient.open({
      host: '127.0.0.1',
      port: server.port,
      name: 'test',
      timeoutMs: 10_000,
    });
    expect((await client.send('a@x.test', ['one@x.test'], message)).get('one@x.test')?.code).toBe(250);
    await waitUntil('the session ended', () => !client.usable);
    await expect(client.send('a@x.test', ['two@x.test'], message)).rejects.toBeInstanceOf(NotSentError);
    expect(server.stored.map((s) => s.rcpt)).toEqual(['one@x.test']);
  });

  it('delivers on a new connection once a pooled one was told 421 while idle', async () => {
    const server = await scripted({ idle: (n, socket) => n === 0 && socket.write(`${SHUTTING_DOWN}\r\n`) });
    const pool = poolTo(server.port);
    expect((await pool.deliver('a@x.test', ['one@x.test'], () => message)).get('one@x.test')?.code).toBe(250);
    // The client closes the connection on reading the 421: the pool must not hand it out again.
    await waitUntil('the stale connection closed', () => server.closed() === 1);
    const second = await pool.deliver('a@x.test', ['two@x.test'], () => message);
    expect(second.get('two@x.test')?.code).toBe(250);
    expect(server.stored.map((s) => [s.connection, s.rcpt])).toEqual([
      [0, 'one@x.test'],
      [1, 'two@x.test'],
    ]);
  });

  it('sends a transaction again, once, on a new connection when a pooled one answers 421 to MAIL: stored once', async () => {
    // Dovecot shutting down as the next transaction starts: the 421 answers its MAIL FROM.
    const server = await scripted({ mail: (n, tx) => (n === 0 && tx === 1 ? SHUTTING_DOWN : undefined) });
    const pool = poolTo(server.port);
    const sent = [];
    for (const rcpt of ['one@x.test', 'two@x.test', 'three@x.test'])
      sent.push((await pool.deliver('a@x.test', [rcpt], () => message)).get(rcpt)?.code);
    expect(sent).toEqual([250, 250, 250]);
    expect(server.stored.map((s) => [s.connection, s.rcpt])).toEqual([
      [0, 'one@x.test'],
      [1, 'two@x.test'],
      [1, 'three@x.test'],
    ]);
  });

  it('defers (451 4.4.2) without retrying when a new connection answers 421', async () => {
    const server = await scripted({ mail: () => SHUTTING_DOWN });
    const pool = poolTo(server.port);
    const reply = (await pool.deliver('a@x.test', ['one@x.test'], () => message)).get('one@x.test');
    expect(reply).toEqual({ code: 451, text: expect.stringMatching(/^4\.4\.2 .*421 4\.3\.2/) });
    expect(server.connections()).toBe(1);
    expect(server.stored).toEqual([]);
  });
});
