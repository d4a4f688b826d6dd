import net from 'node:net';
import type { Readable } from 'node:stream';
import { isPositive, type SmtpReply } from '../smtp/reply';

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

/**
 * The transaction ended where the server cannot have stored the message: before any byte of it
 * was sent (the connection failed, or the server answered 421 and is closing it), or with a 421
 * to MAIL or a RCPT sent in the same write as the message (the server closes without reading
 * on). It may be sent again at once on another connection.
 */
export class NotSentError extends Error {}

const CRLF = Buffer.from('\r\n');
const DATA_END = Buffer.from('.\r\n');

interface Waiter {
  /** Runs as the reply is read, before the next line is: it may register the replies that follow. */
  resolve(r: SmtpReply & { lines: string[] }): void;
  reject(e: Error): void;
}

/**
 * One LMTP session (RFC 2033) to Dovecot. The message goes with BDAT (RFC 3030 CHUNKING) when the
 * server offers it: sent as it is, one write per chunk, no dot-stuffing. nodemailer has no BDAT,
 * and its byte-by-byte dot-stuffing of the 1.37× larger armored form was a sixth of the gateway's
 * CPU (bench/RESULTS.md). A server without CHUNKING gets DATA (RFC 5321 §4.1.1.4).
 *
 * A message in one buffer to a server offering PIPELINING and CHUNKING goes in one write: MAIL,
 * every RCPT, `BDAT n LAST` and the message (sendInOneWrite); the server wakes once for it.
 *
 * Replies are matched to commands by count: every command registers the reply it expects when it
 * is written, and replies come in order (RFC 2920 §3). A reply nobody waits for (Dovecot's
 * `421 4.3.2 Shutting down` to an idle connection, an idle timeout) ends the session at once, so
 * it can never be taken for the answer to a later command. Any socket error, close or
 * `timeoutMs` of silence fails every reply awaited: the caller then drops the connection, so a
 * half-sent message is never stored.
 */
export class LmtpClient {
  readonly capabilities = new Set<string>();
  private readonly socket: net.Socket;
  private input = '';
  private lines: string[] = [];
  private readonly waiting: Waiter[] = [];
  private failure?: Error;

  private constructor(opts: LmtpClientOptions) {
    this.socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
    this.socket.setTimeout(opts.timeoutMs);
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('timeout', () => this.fail(new Error('next hop timeout')));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('end', () => this.fail(new Error('connection closed by the next hop')));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** A session that has answered LHLO; rejects on a refused connection or a refusing server. */
  static async open(opts: LmtpClientOptions): Promise<LmtpClient> {
    const client = new LmtpClient(opts);
    try {
      const greeting = await client.expect();
      if (greeting.code !== 220) throw new Error(`next hop greeting: ${greeting.code} ${greeting.text}`);
      const reply = await client.command(`LHLO ${opts.name}\r\n`);
      if (reply.code !== 250) throw new Error(`next hop LHLO: ${reply.code} ${reply.text}`);
      // RFC 5321 §4.1.1.1: the first line names the server, each next one a keyword and its
      // parameters.
      for (const line of reply.lines.slice(1)) client.capabilities.add(line.split(' ')[0].toUpperCase());
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
   * Throws NotSentError when the server cannot have stored the message, PayloadError when the
   * message's stream failed, another error when the connection failed while the message was
   * being sent or answered (no reply can be trusted then); the caller must then close the
   * connection.
   */
  async send(from: string, to: string[], message: Buffer | Readable): Promise<Map<string, SmtpReply>> {
    if (Buffer.isBuffer(message) && this.capabilities.has('PIPELINING') && this.capabilities.has('CHUNKING'))
      return this.sendInOneWrite(from, to, message);
    const result = new Map<string, SmtpReply>();
    let answers: SmtpReply[];
    try {
      answers = await this.envelope(from, to);
    } catch (e) {
      throw new NotSentError((e as Error).message);
    }
    const mail = answers[0];
    // RFC 5321 §3.8: 421, the server is closing the connection; no message was sent.
    const closing = answers.find((a) => a.code === 421);
    if (closing) {
      this.close();
      throw new NotSentError(`next hop closing: ${closing.code} ${closing.text}`);
    }
    if (!isPositive(mail)) {
      for (const r of to) result.set(r, mail);
      await this.reset();
      return result;
    }
    const accepted = to.filter((r, i) => {
      const reply = answers[i + 1] ?? mail;
      if (!isPositive(reply)) result.set(r, reply);
      return isPositive(reply);
    });
    if (accepted.length === 0) {
      await this.reset();
      return result;
    }
    if (this.failure) throw new NotSentError(this.failure.message);
    const finals = this.capabilities.has('CHUNKING')
      ? await this.bdat(message, accepted.length)
      : await this.data(message, accepted.length);
    if (!Array.isArray(finals)) {
      // The message was refused as a whole (too big, a broken chunk): one reply stands for all.
      for (const r of accepted) result.set(r, finals);
      return result;
    }
    const replies = await Promise.all(finals);
    accepted.forEach((r, i) => result.set(r, replies[i]));
    return result;
  }

  /**
   * MAIL, every RCPT and `BDAT n LAST` with the message in one write. RFC 2920 §3.1 ends a group
   * at DATA or BDAT "unless otherwise specified"; RFC 3030 §2 lets BDAT chunks be pipelined (a
   * server must "accept and discard additional BDAT chunks already in the pipeline after the
   * failed BDAT") and §4.2 shows MAIL, RCPT and BDAT sent together. Replies come in order
   * (RFC 2920 §3): MAIL's, each RCPT's, then for LAST one per accepted RCPT (RFC 2033 §4.2), or
   * a single refusal when no RCPT was (MAIL refused or every RCPT refused). Dovecot 2.3.19 reads
   * and discards the chunk then (`503 5.5.0 No valid recipients`, or `MAIL needed first` after a
   * refused MAIL, which it also answers each RCPT) and wants RSET before the next MAIL.
   *
   * Once the write is made the message may be stored: a connection lost before every reply came
   * is not NotSentError (Dovecot may have stored it and lost only the replies), except after a
   * 421 to MAIL or a RCPT, whose sender closes without reading what follows (RFC 5321 §3.8).
   */
  private async sendInOneWrite(from: string, to: string[], message: Buffer): Promise<Map<string, SmtpReply>> {
    if (this.failure) throw new NotSentError(this.failure.message);
    const envelope: SmtpReply[] = [];
    let finals: Promise<SmtpReply>[] = [];
    // The replies to LAST are counted from the envelope's, so they are registered as its last
    // reply is read, before the line after it.
    const answered = (reply: SmtpReply) => {
      envelope.push(reply);
      if (envelope.length < to.length + 1) return;
      const accepted = isPositive(envelope[0]) ? envelope.slice(1).filter(isPositive).length : 0;
      finals = this.expectMany(Math.max(accepted, 1), true);
    };
    const replies = [from, ...to].map(() => this.expect(answered));
    this.socket.cork();
    this.write(
      `MAIL FROM:<${from}>\r\n${to.map((r) => `RCPT TO:<${r}>\r\n`).join('')}BDAT ${message.length} LAST\r\n`,
    );
    this.socket.write(message);
    this.socket.uncork();
    const settled = await Promise.allSettled(replies);
    const closing = envelope.find((a) => a.code === 421);
    if (closing) {
      this.close();
      throw new NotSentError(`next hop closing: ${closing.code} ${closing.text}`);
    }
    const lost = settled.find((s) => s.status === 'rejected');
    if (lost) throw (lost as PromiseRejectedResult).reason;
    const [mail, ...rcpts] = envelope;
    const result = new Map<string, SmtpReply>();
    const accepted = to.filter((r, i) => {
      const reply = isPositive(mail) ? rcpts[i] : mail;
      if (!isPositive(reply)) result.set(r, reply);
      return isPositive(reply);
    });
    const last = await Promise.all(finals);
    if (accepted.length === 0) {
      // RFC 3030 §2: the refused chunk leaves the transaction failed; RSET clears it.
      await this.reset();
      return result;
    }
    accepted.forEach((r, i) => result.set(r, last[i]));
    return result;
  }

  /** MAIL and RCPTs, pipelined when offered (RFC 2920); stops at a refused MAIL otherwise. */
  private async envelope(from: string, to: string[]): Promise<SmtpReply[]> {
    const commands = [`MAIL FROM:<${from}>\r\n`, ...to.map((r) => `RCPT TO:<${r}>\r\n`)];
    if (this.capabilities.has('PIPELINING')) {
      this.write(commands.join(''));
      const settled = await Promise.allSettled(commands.map(() => this.expect()));
      const answers: SmtpReply[] = [];
      for (const s of settled) {
        // A 421 is the server's last word: the connection closing after it fails the rest.
        if (s.status === 'rejected' && answers.some((a) => a.code === 421)) break;
        if (s.status === 'rejected') throw s.reason;
        answers.push(s.value);
      }
      return answers;
    }
    const answers: SmtpReply[] = [];
    for (const command of commands) {
      const answer = await this.command(command);
      answers.push(answer);
      if (answers.length === 1 && !isPositive(answer)) break;
    }
    return answers;
  }

  /**
   * RFC 3030 §2: a buffer as one `BDAT n LAST`; a stream as one BDAT per chunk, then
   * `BDAT 0 LAST`. Returns the pending per-recipient replies to LAST (RFC 2033 §4.2), or the
   * first refused chunk's reply.
   */
  private async bdat(
    message: Buffer | Readable,
    recipients: number,
  ): Promise<SmtpReply | Promise<SmtpReply>[]> {
    if (Buffer.isBuffer(message)) {
      this.socket.cork();
      this.write(`BDAT ${message.length} LAST\r\n`);
      this.socket.write(message);
      const finals = this.expectMany(recipients);
      this.socket.uncork();
      return finals;
    }
    const acks: Array<Promise<SmtpReply>> = [];
    let refused: SmtpReply | undefined;
    // A refused chunk ends the transaction: the connection is closed, which stops the stream.
    const refuse = (r: SmtpReply) => {
      refused ??= r;
      this.close();
    };
    try {
      await this.stream(message, (chunk) => {
        this.socket.cork();
        this.write(`BDAT ${chunk.length}\r\n`);
        const flowing = this.socket.write(chunk);
        const ack = this.expect().then((r) => {
          if (!isPositive(r)) refuse(r);
          return r;
        });
        this.socket.uncork();
        // Awaited below, unless the connection fails first and takes the transaction with it.
        ack.catch(() => undefined);
        acks.push(ack);
        return flowing;
      });
    } catch (e) {
      if (refused) return refused;
      throw e;
    }
    if (refused) return refused;
    this.write('BDAT 0 LAST\r\n');
    const finals = this.expectMany(recipients);
    try {
      await Promise.all(acks);
    } catch (e) {
      if (refused) return refused;
      throw e;
    }
    return finals;
  }

  /** RFC 5321 §4.1.1.4 and §4.5.2: DATA, the message dot-stuffed with CRLF line ends, the dot. */
  private async data(
    message: Buffer | Readable,
    recipients: number,
  ): Promise<SmtpReply | Promise<SmtpReply>[]> {
    const go = await this.command('DATA\r\n');
    if (go.code !== 354) return go;
    const stuffer = new DotStuffer();
    if (Buffer.isBuffer(message)) this.socket.write(stuffer.push(message));
    else await this.stream(message, (chunk) => this.socket.write(stuffer.push(chunk)));
    this.socket.write(stuffer.end());
    return this.expectMany(recipients);
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

  /** Ends a transaction that sent no message; a failed RSET only costs the connection. */
  private async reset(): Promise<void> {
    const reply = await this.command('RSET\r\n').catch(() => undefined);
    if (!reply || !isPositive(reply)) this.close();
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

  /** Writes a command and registers the reply it expects, in one step. */
  private command(text: string): Promise<SmtpReply & { lines: string[] }> {
    this.write(text);
    return this.expect();
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
      if (!w) return this.fail(new Error(`unexpected reply from the next hop: ${line.slice(0, 100)}`));
      w.resolve(reply);
    }
  }

  /** The next reply, registered now: replies answer the commands in the order they were written. */
  private expect(onReply?: (r: SmtpReply) => void, at?: number): Promise<SmtpReply & { lines: string[] }> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (r) => {
          onReply?.(r);
          resolve(r);
        },
        reject,
      };
      // `at`: a reply that comes before some already awaited, registered while reading.
      if (at === undefined) this.waiting.push(waiter);
      else this.waiting.splice(at, 0, waiter);
    });
  }

  /** `next`: these are the very next replies, before any already awaited. */
  private expectMany(n: number, next = false): Promise<SmtpReply>[] {
    const replies = Array.from({ length: n }, (_, i) => this.expect(undefined, next ? i : undefined));
    // Awaited by the caller, unless the connection fails first and takes them all.
    for (const r of replies) r.catch(() => undefined);
    return replies;
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
