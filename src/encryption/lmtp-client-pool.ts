import type { Readable } from 'node:stream';
import type { Endpoint } from '../config';
import { isPositive, type SmtpReply } from '../smtp/reply';
import { LmtpClient, NotSentError, PayloadError } from './lmtp-client';

export interface LmtpPoolOptions {
  nextHop: Endpoint;
  /** Name sent in LHLO. */
  name: string;
  maxConnections: number;
  timeoutMs: number;
}

interface PooledConnection {
  conn: LmtpClient;
  idleSince: number;
  /** Whether it served a transaction before (and sat in the pool since). */
  reused: boolean;
}

// Dovecot closes an idle LMTP client after a few minutes; leaving first avoids sending into a
// connection that is being closed.
const MAX_IDLE_MS = 60_000;

/**
 * Persistent LMTP connections to Dovecot (RFC 2033), reused across messages: opening one per
 * message was the main cost of the naive gateway (bench/RESULTS.md).
 *
 * Whatever the next hop does (refuses connections, never greets, stops answering, closes
 * mid-message), every delivery ends with a reply within `timeoutMs` of inactivity, and its
 * connection slot is given back; once the next hop is back, the next delivery opens a new
 * connection. A pooled connection can go stale while it waits (Dovecot restarting answers its
 * idle clients `421` and closes them): a transaction that fails on one where the server cannot
 * have stored it (NotSentError) is sent again, once, on a new connection.
 */
export class LmtpClientPool {
  private readonly idle: PooledConnection[] = [];
  private readonly waiters = new Set<(c: PooledConnection | Error) => void>();
  private open = 0;
  private closed = false;

  constructor(private readonly opts: LmtpPoolOptions) {}

  /**
   * A connection that has answered LHLO. A refused connection, a silent server or a closed
   * socket reject; the client's inactivity timeout bounds the attempt.
   */
  private async connect(): Promise<PooledConnection> {
    const conn = await LmtpClient.open({
      host: this.opts.nextHop.host,
      port: this.opts.nextHop.port,
      name: this.opts.name,
      timeoutMs: this.opts.timeoutMs,
    });
    return { conn, idleSince: 0, reused: false };
  }

  /** Takes a connection slot; the caller must hand it back with release(). */
  private async acquire(): Promise<PooledConnection> {
    if (this.closed) throw new Error('LMTP pool closed');
    while (this.idle.length) {
      const c = this.idle.pop()!;
      if (c.conn.usable && Date.now() - c.idleSince < MAX_IDLE_MS) return c;
      c.conn.quit();
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
    if (!reusable || !c.conn.usable || this.closed) {
      c.conn.close();
      this.open--;
      this.wakeOne();
      return;
    }
    c.reused = true;
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
   * refusal, or the per-recipient reply to the message (RFC 2033 §4.2). A connection failure or
   * a timeout answers 451 4.4.2 for everyone: the message may be retried, never lost.
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
    for (let retried = false; ; retried = true) {
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
      try {
        const delivered = await c.conn.send(from, to, body);
        for (const r of to) {
          const reply = delivered.get(r);
          // A recipient the server neither accepted nor refused: never report it delivered.
          if (!reply) replies.set(r, { code: 451, text: '4.4.2 no reply from next hop' });
          else if (isPositive(reply)) replies.set(r, { code: 250, text: `2.0.0 <${r}> stored` });
          else replies.set(r, { code: reply.code, text: reply.text || '4.4.2 next hop error' });
        }
        this.release(c, true);
        return replies;
      } catch (e) {
        // The client has closed the connection: before the end of the message nothing is stored;
        // after it, a lost reply makes Postfix retry (a duplicate at worst, never a loss).
        this.release(c, false);
        if (!Buffer.isBuffer(body)) body.destroy();
        if (e instanceof NotSentError && c.reused && !retried) continue;
        return e instanceof PayloadError ? encryptionFailed() : unreachable(e);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.waiters]) w(new Error('LMTP pool closed'));
    for (const c of this.idle.splice(0)) c.conn.quit();
  }
}
