import net from 'node:net';
import { Readable } from 'node:stream';
import { LmtpClient, NotSentError, PayloadError } from '../../src/encryption/lmtp-client';
import { LmtpClientPool } from '../../src/encryption/lmtp-client-pool';
import { waitUntil } from '../support/wait-until';
import { startFakeDownstream, startScriptedLmtp } from './lmtp-helpers';

/**
 * The LMTP client against a server without CHUNKING (smtp-server): DATA, dot-stuffed. Its BDAT
 * path is proven against the real Dovecot (tests/e2e/inbound-gateway.test.ts); a scripted server
 * answers as Dovecot does to a transaction in one write, and to idle connections when it stops.
 */
/** A pool of one connection to a scripted server on this port. */
const onePool = (port: number) =>
  new LmtpClientPool({
    nextHop: { host: '127.0.0.1', port },
    name: 'test',
    maxConnections: 1,
    timeoutMs: 10_000,
  });

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
    const pool = onePool(port);
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

type WriteFn = (this: net.Socket, ...args: unknown[]) => void;

/**
 * What `run` makes the sockets connected to `port` hand the kernel: one entry per write (a
 * corked run of writes is one writev).
 */
async function writesTo<T>(port: number, run: () => Promise<T>): Promise<{ result: T; writes: string[] }> {
  const writes: string[] = [];
  const proto = net.Socket.prototype as unknown as { _write: WriteFn; _writev: WriteFn };
  const text = (chunk: unknown, encoding: unknown) =>
    Buffer.isBuffer(chunk)
      ? chunk.toString('latin1')
      : Buffer.from(chunk as string, encoding as BufferEncoding).toString('latin1');
  const write = proto._write;
  const writev = proto._writev;
  proto._write = function (this: net.Socket, ...args: unknown[]) {
    if (this.remotePort === port) writes.push(text(args[0], args[1]));
    return write.apply(this, args);
  };
  proto._writev = function (this: net.Socket, ...args: unknown[]) {
    const chunks = args[0] as Array<{ chunk: unknown; encoding: unknown }>;
    if (this.remotePort === port) writes.push(chunks.map((c) => text(c.chunk, c.encoding)).join(''));
    return writev.apply(this, args);
  };
  try {
    return { result: await run(), writes };
  } finally {
    proto._write = write;
    proto._writev = writev;
  }
}

describe('LMTP transactions in one write, to a server offering PIPELINING and CHUNKING', () => {
  // What a server reading it as commands would act on, were a refused chunk not skipped whole.
  const message = Buffer.from('Subject: one write\r\n\r\nRCPT TO:<injected@x.test>\r\nBDAT 0 LAST\r\n');
  const SHUTTING_DOWN = '421 4.3.2 Shutting down';
  const servers: Array<{ close(): Promise<void> }> = [];
  const closing: Array<{ close(): unknown }> = [];
  afterAll(async () => {
    for (const c of closing) await c.close();
    for (const s of servers) await s.close();
  });
  const scripted = async (script: Parameters<typeof startScriptedLmtp>[0] = {}) => {
    const server = await startScriptedLmtp(script);
    servers.push(server);
    return server;
  };
  const clientOf = async (port: number) => {
    const client = await LmtpClient.open({ host: '127.0.0.1', port, name: 'test', timeoutMs: 10_000 });
    closing.push(client);
    return client;
  };
  const poolTo = (port: number) => {
    const pool = onePool(port);
    closing.push(pool);
    return pool;
  };
  const codes = (replies: Map<string, { code: number }>) =>
    Object.fromEntries([...replies].map(([r, a]) => [r, a.code]));

  it('writes MAIL, every RCPT, BDAT LAST and the message in one write, and nothing else', async () => {
    const server = await scripted();
    const client = await clientOf(server.port);
    const { result, writes } = await writesTo(server.port, () =>
      client.send('a@x.test', ['one@x.test', 'two@x.test'], message),
    );
    expect(writes).toEqual([
      `MAIL FROM:<a@x.test>\r\nRCPT TO:<one@x.test>\r\nRCPT TO:<two@x.test>\r\nBDAT ${message.length} LAST\r\n${message.toString('latin1')}`,
    ]);
    expect(result.get('one@x.test')).toEqual({
      code: 250,
      text: '2.0.0 <one@x.test> Saved',
      lines: ['2.0.0 <one@x.test> Saved'],
    });
    expect(result.get('two@x.test')?.text).toBe('2.0.0 <two@x.test> Saved');
    expect(server.stored.map((s) => [s.rcpt, s.message.equals(message)])).toEqual([
      ['one@x.test', true],
      ['two@x.test', true],
    ]);
  });

  it('gives a refused RCPT among several its refusal, and each accepted one its own reply to the message', async () => {
    const server = await scripted();
    const client = await clientOf(server.port);
    const replies = await client.send('a@x.test', ['one@x.test', 'refuse@x.test', 'three@x.test'], message);
    expect(codes(replies)).toEqual({ 'one@x.test': 250, 'refuse@x.test': 550, 'three@x.test': 250 });
    expect(replies.get('three@x.test')?.text).toBe('2.0.0 <three@x.test> Saved');
    // Every reply was consumed: the next transaction gets its own.
    const next = await client.send('a@x.test', ['four@x.test'], message);
    expect(next.get('four@x.test')?.text).toBe('2.0.0 <four@x.test> Saved');
    expect(server.stored.map((s) => s.rcpt)).toEqual(['one@x.test', 'three@x.test', 'four@x.test']);
  });

  it('answers each recipient its refusal when none is accepted, and the connection serves the next transaction', async () => {
    const server = await scripted();
    const client = await clientOf(server.port);
    const { result, writes } = await writesTo(server.port, () =>
      client.send('a@x.test', ['refuse1@x.test', 'refuse2@x.test'], message),
    );
    expect(result).toEqual(
      new Map([
        [
          'refuse1@x.test',
          expect.objectContaining({ code: 550, text: "5.1.1 <refuse1@x.test> User doesn't exist" }),
        ],
        [
          'refuse2@x.test',
          expect.objectContaining({ code: 550, text: "5.1.1 <refuse2@x.test> User doesn't exist" }),
        ],
      ]),
    );
    // The refused chunk leaves the transaction open (RFC 3030 §2): RSET ends it.
    expect(writes.slice(1)).toEqual(['RSET\r\n']);
    expect(client.usable).toBe(true);
    expect(codes(await client.send('a@x.test', ['five@x.test'], message))).toEqual({ 'five@x.test': 250 });
    expect(server.stored.map((s) => s.rcpt)).toEqual(['five@x.test']);
  });

  it('answers each recipient the refusal of MAIL, and the connection serves the next transaction', async () => {
    let mails = 0;
    const server = await scripted({ mail: () => (mails++ === 0 ? '550 5.7.1 sender refused' : undefined) });
    const client = await clientOf(server.port);
    const refused = await client.send('a@x.test', ['one@x.test', 'two@x.test'], message);
    expect(refused).toEqual(
      new Map([
        ['one@x.test', expect.objectContaining({ code: 550, text: '5.7.1 sender refused' })],
        ['two@x.test', expect.objectContaining({ code: 550, text: '5.7.1 sender refused' })],
      ]),
    );
    expect(codes(await client.send('a@x.test', ['three@x.test'], message))).toEqual({ 'three@x.test': 250 });
    expect(server.stored.map((s) => s.rcpt)).toEqual(['three@x.test']);
  });

  it('treats a 421 after MAIL as not sent: the connection closes, and the pool sends it again on a new one, stored once', async () => {
    const server = await scripted({
      rcpt: (n, tx, address) => (n === 0 && tx === 1 && address === 'two@x.test' ? SHUTTING_DOWN : undefined),
    });
    const client = await clientOf(server.port);
    expect(codes(await client.send('a@x.test', ['one@x.test'], message))).toEqual({ 'one@x.test': 250 });
    await expect(client.send('a@x.test', ['two@x.test'], message)).rejects.toBeInstanceOf(NotSentError);
    expect(client.usable).toBe(false);
    expect(server.stored.map((s) => [s.connection, s.rcpt])).toEqual([[0, 'one@x.test']]);

    const other = await scripted({
      rcpt: (n, tx, address) => (n === 0 && tx === 1 && address === 'two@x.test' ? SHUTTING_DOWN : undefined),
    });
    const pool = poolTo(other.port);
    for (const rcpt of ['one@x.test', 'two@x.test'])
      expect(codes(await pool.deliver('a@x.test', [rcpt], () => message))).toEqual({ [rcpt]: 250 });
    expect(other.stored.map((s) => [s.connection, s.rcpt])).toEqual([
      [0, 'one@x.test'],
      [1, 'two@x.test'],
    ]);
  });

  it('does not take a connection lost after the message for not sent: the pool defers (451 4.4.2) rather than resend at once', async () => {
    // The worst case: the server stored the message, then died before answering.
    const server = await scripted({ data: (n, tx) => (n === 0 && tx === 1 ? 'drop' : undefined) });
    const client = await clientOf(server.port);
    expect(codes(await client.send('a@x.test', ['one@x.test'], message))).toEqual({ 'one@x.test': 250 });
    const lost = client.send('a@x.test', ['two@x.test'], message);
    await expect(lost).rejects.toThrow('closed');
    await expect(lost).rejects.not.toBeInstanceOf(NotSentError);
    expect(client.usable).toBe(false);

    const other = await scripted({ data: (n, tx) => (n === 0 && tx === 1 ? 'drop' : undefined) });
    const pool = poolTo(other.port);
    expect(codes(await pool.deliver('a@x.test', ['one@x.test'], () => message))).toEqual({
      'one@x.test': 250,
    });
    const reply = (await pool.deliver('a@x.test', ['two@x.test'], () => message)).get('two@x.test');
    expect(reply).toEqual({ code: 451, text: expect.stringMatching(/^4\.4\.2 /) });
    expect(other.connections()).toBe(1);
    expect(other.stored.map((s) => s.rcpt)).toEqual(['one@x.test', 'two@x.test']);
  });
});
