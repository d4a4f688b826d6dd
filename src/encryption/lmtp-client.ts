import net from 'node:net';
import type { Readable } from 'node:stream';
import type { SmtpReply } from '../smtp/reply';

export interface LmtpClientOptions {
  host: string;
  port: number;
  /** Name sent in LHLO. */
  name: string;
  /** Inactivity timeout: no byte either way for this long closes the connection. */
  timeoutMs: number;
}

/** The message's own stream failed while it was being sent: nothing was stored. */
export class PayloadError extends Error {}

const CRLF = Buffer.from('\r\n');
const ok = (r: SmtpReply) => r.code >= 200 && r.code < 300;
const DATA_END = Buffer.from('.\r\n');

/**
 * One LMTP session (RFC 2033) to Dovecot. The message goes with BDAT (RFC 3030 CHUNKING) when the
 * server offers it: sent as it is, one write per chunk, no dot-stuffing. nodemailer has no BDAT,
 * and stuffing the 1.37× larger armored form byte by byte cost about a tenth of the gateway's
 * CPU (bench/RESULTS.md). A server without CHUNKING gets DATA (RFC 5321 §4.1.1.4).
 *
 * Replies are read in order (RFC 2920 pipelining keeps them so); any socket error, close or
 * `timeoutMs` of silence fails the reply awaited and every later one: the caller then drops the
 * connection, so a half-sent message is never stored.
 */
export class LmtpClient {
  readonly capabilities = new Set<string>();
  private readonly socket: net.Socket;
  private input = '';
  private lines: string[] = [];
  private readonly replies: SmtpReply[] = [];
  private readonly waiting: Array<{ resolve(r: SmtpReply): void; reject(e: Error): void }> = [];
  private failure?: Error;

  private constructor(opts: LmtpClientOptions) {
    this.socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
    this.socket.setTimeout(opts.timeoutMs);
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('timeout', () => this.fail(new Error('next hop timeout')));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** A session that has answered LHLO; rejects on a refused connection or a refusing server. */
  static async open(opts: LmtpClientOptions): Promise<LmtpClient> {
    const client = new LmtpClient(opts);
    try {
      const greeting = await client.read();
      if (greeting.code !== 220) throw new Error(`next hop greeting: ${greeting.code} ${greeting.text}`);
      client.write(`LHLO ${opts.name}\r\n`);
      const lhlo = await client.readLines();
      if (lhlo.code !== 250) throw new Error(`next hop LHLO: ${lhlo.code} ${lhlo.text}`);
      // RFC 5321 §4.1.1.1: the first line names the server, each next one a keyword and its
      // parameters.
      for (const line of lhlo.lines.slice(1)) client.capabilities.add(line.split(' ')[0].toUpperCase());
      return client;
    } catch (e) {
      client.close();
      throw e;
    }
  }

  /** Whether the session can take another transaction. */
  get usable(): boolean {
    return this.failure === undefined;
  }

  /**
   * One transaction: each recipient's RCPT refusal, or its reply to the message (RFC 2033 §4.2).
   * Throws when the connection fails (no reply can be trusted then) and PayloadError when the
   * message's stream fails; the caller must then close the connection.
   */
  async send(from: string, to: string[], message: Buffer | Readable): Promise<Map<string, SmtpReply>> {
    const result = new Map<string, SmtpReply>();
    const envelope = [`MAIL FROM:<${from}>\r\n`, ...to.map((r) => `RCPT TO:<${r}>\r\n`)];
    let answers: SmtpReply[];
    if (this.capabilities.has('PIPELINING')) {
      this.write(envelope.join(''));
      answers = await Promise.all(envelope.map(() => this.read()));
    } else {
      answers = [];
      for (const command of envelope) {
        this.write(command);
        const answer = await this.read();
        answers.push(answer);
        if (answers.length === 1 && !ok(answer)) break;
      }
    }
    const mail = answers[0];
    if (!ok(mail)) {
      for (const r of to) result.set(r, mail);
      await this.reset();
      return result;
    }
    const accepted = to.filter((r, i) => {
      const reply = answers[i + 1] ?? mail;
      if (!ok(reply)) result.set(r, reply);
      return ok(reply);
    });
    if (accepted.length === 0) {
      await this.reset();
      return result;
    }
    const final = this.capabilities.has('CHUNKING') ? await this.bdat(message) : await this.data(message);
    if (!ok(final)) {
      // The message was refused as a whole (too big, a broken chunk): one reply stands for all.
      for (const r of accepted) result.set(r, final);
      return result;
    }
    for (const r of accepted) result.set(r, await this.read());
    return result;
  }

  /**
   * RFC 3030 §2: a buffer as one `BDAT n LAST`; a stream as one BDAT per chunk, pipelined, then
   * `BDAT 0 LAST`. Returns the first refused chunk's reply, or a 250 standing for the chunks (the
   * per-recipient replies to LAST are read by the caller).
   */
  private async bdat(message: Buffer | Readable): Promise<SmtpReply> {
    if (Buffer.isBuffer(message)) {
      this.socket.cork();
      this.write(`BDAT ${message.length} LAST\r\n`);
      this.socket.write(message);
      this.socket.uncork();
      return { code: 250, text: 'chunk sent' };
    }
    const acks: Array<Promise<SmtpReply>> = [];
    let refused: SmtpReply | undefined;
    await this.stream(message, (chunk) => {
      if (refused) return false;
      this.socket.cork();
      this.write(`BDAT ${chunk.length}\r\n`);
      const flowing = this.socket.write(chunk);
      this.socket.uncork();
      const ack = this.read().then((r) => {
        if (!ok(r)) refused ??= r;
        return r;
      });
      // Awaited below, unless the connection fails first and takes the transaction with it.
      ack.catch(() => undefined);
      acks.push(ack);
      return flowing;
    });
    if (!refused) this.write('BDAT 0 LAST\r\n');
    await Promise.all(acks);
    if (refused) this.close();
    return refused ?? { code: 250, text: 'chunks sent' };
  }

  /** RFC 5321 §4.1.1.4 and §4.5.2: DATA, the message dot-stuffed with CRLF line ends, the dot. */
  private async data(message: Buffer | Readable): Promise<SmtpReply> {
    this.write('DATA\r\n');
    const go = await this.read();
    if (go.code !== 354) return go;
    const stuffer = new DotStuffer();
    if (Buffer.isBuffer(message)) this.socket.write(stuffer.push(message));
    else await this.stream(message, (chunk) => this.socket.write(stuffer.push(chunk)));
    this.socket.write(stuffer.end());
    return { code: 250, text: 'data sent' };
  }

  /** Feeds the stream's chunks to `send`, waiting for the socket to drain when it asks to. */
  private async stream(message: Readable, send: (chunk: Buffer) => boolean): Promise<void> {
    try {
      for await (const chunk of message as AsyncIterable<Buffer>) {
        if (this.failure) throw this.failure;
        if (chunk.length === 0) continue;
        if (!send(chunk)) await this.drained();
      }
    } catch (e) {
      if (this.failure) throw this.failure;
      // Closing before the last chunk (or the final dot) makes the server discard the message.
      this.close();
      throw new PayloadError((e as Error)?.message ?? 'message stream failed');
    }
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private async reset(): Promise<void> {
    this.write('RSET\r\n');
    if (!ok(await this.read())) this.close();
  }

  /** Says goodbye; the connection closes when the server answers or within the timeout. */
  quit(): void {
    if (this.failure) return;
    this.failure = new Error('connection closed');
    this.socket.end('QUIT\r\n');
  }

  close(): void {
    this.fail(new Error('connection closed'));
  }

  private write(text: string): void {
    this.socket.write(text, 'latin1');
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    this.input += chunk.toString('latin1');
    let nl: number;
    while ((nl = this.input.indexOf('\n')) >= 0) {
      const line = this.input.slice(0, nl).replace(/\r$/, '');
      this.input = this.input.slice(nl + 1);
      this.lines.push(line);
      // RFC 5321 §4.2.1: "250-" continues a reply, "250 " (or a bare code) ends it.
      if (line.length > 3 && line[3] === '-') continue;
      const lines = this.lines.map((l) => l.slice(4));
      this.lines = [];
      const code = Number(line.slice(0, 3));
      const reply = { code: Number.isInteger(code) ? code : 0, text: lines.join(' '), lines };
      const w = this.waiting.shift();
      if (w) w.resolve(reply);
      else this.replies.push(reply);
    }
  }

  private read(): Promise<SmtpReply> {
    return this.readLines();
  }

  private readLines(): Promise<SmtpReply & { lines: string[] }> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued as SmtpReply & { lines: string[] });
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) =>
      this.waiting.push({ resolve: resolve as (r: SmtpReply) => void, reject }),
    );
  }
}

/**
 * Dot-stuffing for DATA (RFC 5321 §4.5.2), with every bare CR or LF made a CRLF: a server that
 * took a lone CR or LF for a line end could otherwise read "\r.\r" as the end of the data.
 */
class DotStuffer {
  private last = 0x0a;

  push(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(chunk.length * 2 + 1);
    let o = 0;
    let prev = this.last;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (prev === 0x0d && byte !== 0x0a) {
        out[o++] = 0x0a;
        prev = 0x0a;
      }
      if (byte === 0x0a && prev !== 0x0d) out[o++] = 0x0d;
      else if (byte === 0x2e && prev === 0x0a) out[o++] = 0x2e;
      out[o++] = byte;
      prev = byte;
    }
    this.last = prev;
    return out.subarray(0, o);
  }

  /** The end of the last line, then the final dot. */
  end(): Buffer {
    if (this.last === 0x0a) return DATA_END;
    if (this.last === 0x0d) return Buffer.concat([Buffer.from('\n'), DATA_END]);
    return Buffer.concat([CRLF, DATA_END]);
  }
}
