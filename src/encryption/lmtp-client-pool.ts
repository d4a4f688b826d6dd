import type { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Endpoint } from '../config';
import type { SmtpReply } from '../smtp/reply';

export interface LmtpPoolOptions {
  nextHop: Endpoint;
  /** Name sent in LHLO. */
  name: string;
  maxConnections: number;
  timeoutMs: number;
}

interface PooledConnection {
  conn: SMTPConnection;
  alive: boolean;
  idleSince: number;
}

// Dovecot closes an idle LMTP client after a few minutes; leaving first avoids sending into a
// connection that is being closed (which would defer that message).
const MAX_IDLE_MS = 60_000;

function splitReply(response: string | undefined, fallback: SmtpReply): SmtpReply {
  const m = /^([245]\d\d)[ -](.*)$/s.exec((response ?? '').trim());
  return m ? { code: Number(m[1]), text: m[2].replace(/\r?\n\d{3}[ -]/g, ' ') } : fallback;
}

/**
 * Persistent LMTP connections to Dovecot (RFC 2033), reused across messages: opening one per
 * message was the main cost of the naive gateway (bench/RESULTS.md).
 * nodemailer pipelines the envelope when the server offers PIPELINING (RFC 2920).
 *
 * Whatever the next hop does (refuses connections, never greets, stops answering, closes
 * mid-message), every delivery ends with a reply within `timeoutMs` of inactivity, and its
 * connection slot is given back; once the next hop is back, the next delivery opens a new
 * connection.
 */
export class LmtpClientPool {
  private readonly idle: PooledConnection[] = [];
  private readonly waiters = new Set<(c: PooledConnection | Error) => void>();
  private open = 0;
  private closed = false;

  constructor(private readonly opts: LmtpPoolOptions) {}

  /**
   * A connection that has answered LHLO. nodemailer calls connect()'s callback only once the
   * session is up; a refused connection, a silent server or a closed socket come as 'error' or
   * 'end' events, so those settle the attempt too, and a timer bounds it.
   */
  private connect(): Promise<PooledConnection> {
    const conn = new SMTPConnection({
      host: this.opts.nextHop.host,
      port: this.opts.nextHop.port,
      lmtp: true,
      name: this.opts.name,
      ignoreTLS: true,
      connectionTimeout: this.opts.timeoutMs,
      greetingTimeout: this.opts.timeoutMs,
      socketTimeout: this.opts.timeoutMs,
      logger: false,
    });
    const pooled: PooledConnection = { conn, alive: true, idleSince: 0 };
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => fail(new Error('connection timeout')), this.opts.timeoutMs);
      const fail = (e: Error) => {
        pooled.alive = false;
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        conn.close();
        reject(e);
      };
      conn.on('error', fail);
      conn.on('end', () => fail(new Error('connection closed')));
      conn.connect((err) => {
        if (err) return fail(err);
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(pooled);
      });
    });
  }

  /** Takes a connection slot; the caller must hand it back with release(). */
  private async acquire(): Promise<PooledConnection> {
    if (this.closed) throw new Error('LMTP pool closed');
    while (this.idle.length) {
      const c = this.idle.pop()!;
      if (c.alive && Date.now() - c.idleSince < MAX_IDLE_MS) return c;
      if (c.alive) c.conn.quit();
      this.open--;
    }
    if (this.open < this.opts.maxConnections) return this.openSlot();
    const got = await new Promise<PooledConnection | Error>((resolve) => {
      const waiter = (c: PooledConnection | Error) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(c);
      };
      const timer = setTimeout(() => waiter(new Error('no connection free in time')), this.opts.timeoutMs);
      this.waiters.add(waiter);
    });
    if (got instanceof Error) throw got;
    return got;
  }

  /** Opens a connection in a new slot; a failure gives the slot back. */
  private async openSlot(): Promise<PooledConnection> {
    this.open++;
    try {
      return await this.connect();
    } catch (e) {
      this.open--;
      this.wakeOne();
      throw e;
    }
  }

  private release(c: PooledConnection, reusable: boolean): void {
    if (!reusable || !c.alive || this.closed) {
      c.alive = false;
      c.conn.close();
      this.open--;
      this.wakeOne();
      return;
    }
    const [waiter] = this.waiters;
    if (waiter) return waiter(c);
    c.idleSince = Date.now();
    this.idle.push(c);
  }

  /** A waiter whose turn came because a slot freed: it opens its own connection. */
  private wakeOne(): void {
    const [waiter] = this.waiters;
    if (!waiter || this.closed) return;
    this.waiters.delete(waiter);
    this.openSlot().then(waiter, (e: Error) => waiter(e));
  }

  /**
   * Delivers one message to distinct recipients; returns each one's final reply: the RCPT
   * refusal, or the per-recipient reply to DATA (RFC 2033 §4.2). A connection failure or a
   * timeout answers 451 4.4.2 for everyone: the message may be retried, never lost.
   */
  async deliver(
    from: string,
    to: string[],
    message: () => Buffer | Readable,
  ): Promise<Map<string, SmtpReply>> {
    const replies = new Map<string, SmtpReply>();
    const unreachable = (e: unknown): Map<string, SmtpReply> => {
      const text = `4.4.2 next hop failed: ${(e as Error)?.message ?? 'unknown error'}`.slice(0, 200);
      for (const r of to) replies.set(r, { code: 451, text });
      return replies;
    };
    const encryptionFailed = (): Map<string, SmtpReply> => {
      for (const r of to) replies.set(r, { code: 451, text: '4.7.0 encryption failed while sending' });
      return replies;
    };
    let c: PooledConnection;
    try {
      c = await this.acquire();
    } catch (e) {
      return unreachable(e);
    }
    let body: Buffer | Readable;
    try {
      body = message();
    } catch {
      // Nothing was sent on the connection: it stays usable.
      this.release(c, true);
      return encryptionFailed();
    }
    return new Promise((resolve) => {
      // nodemailer calls back exactly once, on success or on any error of the connection.
      c.conn.send({ from, to }, body, (err, info) => {
        if (err) {
          const rejected = (err as { rejectedErrors?: Array<{ recipient?: string; response?: string }> })
            .rejectedErrors;
          // Closing before the final dot makes the next hop discard the message.
          this.release(c, false);
          if ((err as { code?: string }).code === 'ESTREAM') return resolve(encryptionFailed());
          if (!rejected?.length) return resolve(unreachable(err));
          for (const e of rejected)
            if (e.recipient)
              replies.set(e.recipient, splitReply(e.response, { code: 451, text: '4.4.2 next hop error' }));
          for (const r of to)
            if (!replies.has(r)) replies.set(r, { code: 451, text: '4.4.2 next hop error' });
          return resolve(replies);
        }
        for (const e of info.rejectedErrors ?? []) {
          const recipient = (e as unknown as { recipient?: string }).recipient;
          if (recipient)
            replies.set(recipient, splitReply(e.response, { code: 451, text: '4.4.2 next hop error' }));
        }
        for (const r of info.accepted)
          if (!replies.has(r)) replies.set(r, { code: 250, text: `2.0.0 <${r}> stored` });
        // A recipient the server neither accepted nor refused: never report it delivered.
        for (const r of to)
          if (!replies.has(r)) replies.set(r, { code: 451, text: '4.4.2 no reply from next hop' });
        this.release(c, true);
        resolve(replies);
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.waiters]) w(new Error('LMTP pool closed'));
    for (const c of this.idle.splice(0)) {
      c.alive = false;
      c.conn.quit();
    }
  }
}
