import { Readable } from 'node:stream';
import { LmtpClient, PayloadError } from '../../src/encryption/lmtp-client';
import { startFakeDownstream } from './lmtp-helpers';

/**
 * The LMTP client against a server without CHUNKING (smtp-server): DATA, dot-stuffed. Its BDAT
 * path is proven against the real Dovecot (tests/e2e/inbound-gateway.test.ts).
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
