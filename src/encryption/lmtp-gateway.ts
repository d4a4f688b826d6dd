import type { SMTPServerSession } from 'smtp-server';
import { SMTPServer } from 'smtp-server';
import type { Endpoint } from '../config';
import type { Component } from '../component';
import type { Db } from '../db/knex';
import { errors } from '../errors';
import { logger } from '../logger';
import { countInboundReplies, timeEncryption } from '../metrics/metrics';
import { gatewayServerOptions, listen, type RunningServer } from '../smtp/gateway-server';
import { perRecipientResult, SmtpReplyError, type SmtpReply } from '../smtp/reply';
import { deliverTransaction, type Payload, type TransactionDeps } from './deliver-transaction';
import { deliveryId } from './delivery-id';
import { LmtpClientPool } from './lmtp-client-pool';
import { MailboxTurns, oneDeliveryPerMailbox } from './mailbox-turns';
import { encryptLargeMessage, encryptMessage } from './pgp-mime';
import { RecipientKeys, type RecipientPolicy } from './recipient-keys';
import { YoungGarbage } from './young-garbage';

export interface LmtpGatewayOptions {
  listen: Endpoint;
  nextHop: Endpoint;
  /** Name in the greeting and in LHLO to the next hop. */
  name: string;
  maxMessageBytes: number;
  /** Command and data inactivity timeout, both sides. */
  timeoutMs: number;
  nextHopConnections: number;
  /** How long a recipient's keys stay cached (0 in tests that change keys between messages). */
  keyCacheMs: number;
  /**
   * Several deliveries to one mailbox at once, as before mailbox-turns.ts: only for the bench
   * that measures what one at a time costs (Dovecot 2.3 then drops delivery ids).
   */
  parallelPerMailbox?: boolean;
}

/** The running gateway; `stop()` finishes transactions in flight, then closes the next hop. */
export type LmtpGateway = RunningServer;

// Above this, the stored form is streamed to the next hop, so memory stays near the message's size.
const LARGE_MESSAGE_BYTES = 1024 * 1024;

/** Encrypts for a policy's keys, streaming large messages; logs why it could not. */
async function encryptFor(raw: Buffer, policy: RecipientPolicy): Promise<Payload | undefined> {
  const opts = { protectedSubject: policy.protectedSubject };
  try {
    return await timeEncryption<Payload | undefined>(
      raw.length > LARGE_MESSAGE_BYTES
        ? encryptLargeMessage(raw, policy.keys, opts)
        : encryptMessage(raw, policy.keys, opts),
    );
  } catch (e) {
    logger.warn({ err: e, mailbox: policy.mailboxId }, 'inbound gateway: encryption failed');
    throw e;
  }
}

/**
 * The inbound gateway between Postfix (virtual_transport) and Dovecot's LMTP: every message is
 * stored as PGP/MIME for its recipient's active keys, or not at all. The protocol side lives
 * here; what happens to one transaction is `deliverTransaction`. smtp-server merges duplicate
 * recipients, so the gateway keeps its own list of RCPTs per transaction, for one reply each.
 */
export async function startLmtpGateway(
  db: Db,
  now: () => Date,
  opts: LmtpGatewayOptions,
): Promise<LmtpGateway> {
  const keys = new RecipientKeys(db, now, opts.keyCacheMs);
  const pool = new LmtpClientPool({
    nextHop: opts.nextHop,
    name: opts.name,
    maxConnections: opts.nextHopConnections,
    timeoutMs: opts.timeoutMs,
  });
  const deliver: TransactionDeps['deliver'] = (from, to, payload) =>
    pool.deliver(from, to, typeof payload === 'function' ? payload : () => payload);
  const deps: TransactionDeps = {
    policies: (addresses) => keys.lookup(addresses),
    encrypt: encryptFor,
    // Half the timeout: Postfix's connection, silent while the message waits, must get the
    // 4.4.5 before smtp-server closes it for inactivity.
    deliver: opts.parallelPerMailbox
      ? deliver
      : oneDeliveryPerMailbox(deliver, new MailboxTurns(), opts.timeoutMs / 2),
  };
  const transactions = new WeakMap<
    SMTPServerSession,
    { rcpts: string[]; declaredSize: number; queueId?: string }
  >();
  const tooBig: SmtpReply = { code: 552, text: `5.3.4 message larger than ${opts.maxMessageBytes} bytes` };

  const server = new SMTPServer({
    ...gatewayServerOptions({
      lmtp: true,
      name: opts.name,
      banner: 'giroflee encrypting gateway',
      maxMessageBytes: opts.maxMessageBytes,
      timeoutMs: opts.timeoutMs,
    }),
    // Replies carry their own enhanced status codes (5.3.4, 4.7.0, the next hop's own).
    hideENHANCEDSTATUSCODES: true,
    // SIZE is announced without a value (RFC 1870) so that Postfix declares each message's size:
    // the gateway then checks it itself (5.3.4) and sizes its buffer once.
    hideSize: true,
    // Postfix sends its queue id (XFORWARD IDENT) before each transaction: the delivery id. Its
    // other attributes, the client's address among them, are neither used nor logged.
    useXForward: true,
    onMailFrom(address, session, cb) {
      // RFC 1870 §6.2: refuse a declared size above the limit before the data is sent.
      const args = address.args as Record<string, string> | false;
      const declaredSize = Number(args ? (args.SIZE ?? 0) : 0);
      if (declaredSize > opts.maxMessageBytes) return cb(new SmtpReplyError(tooBig));
      // Taken once: the map outlives the transaction, and a later one without XFORWARD must not
      // inherit this queue id.
      const ident = session.xForward?.get('IDENT');
      session.xForward?.delete('IDENT');
      transactions.set(session, {
        rcpts: [],
        declaredSize,
        queueId: typeof ident === 'string' ? ident : undefined,
      });
      cb();
    },
    onRcptTo(address, session, cb) {
      transactions.get(session)?.rcpts.push(address.address.toLowerCase());
      cb();
    },
    onData(stream, session, cb) {
      const { rcpts, declaredSize, queueId } = transactions.get(session) ?? { rcpts: [], declaredSize: 0 };
      const message = new MessageBuffer(declaredSize, opts.maxMessageBytes);
      // Each chunk leaves two buffers behind: the socket's and smtp-server's copy of it.
      const garbage = new YoungGarbage();
      stream.on('data', (chunk: Buffer) => {
        message.add(chunk);
        garbage.passed(chunk.length);
      });
      const answer = (replies: SmtpReply[]) => {
        const results = replies.map(perRecipientResult);
        countInboundReplies(results);
        cb(null, results);
      };
      const answerAll = (reply: SmtpReply) => answer(rcpts.map(() => reply));
      stream.on('end', () => {
        if (message.tooBig) return answerAll(tooBig);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        deliverTransaction(deps, {
          from,
          recipients: rcpts,
          message: message.take(),
          deliveryId: queueId && deliveryId(queueId, from),
        }).then(answer, (e: unknown) => {
          logger.error({ err: e }, 'inbound gateway: transaction failed');
          answerAll({ code: 451, text: '4.3.0 temporary failure' });
        });
      });
    },
  });
  const running = await listen(server, opts.listen, 'inbound gateway');
  return {
    port: running.port,
    async stop() {
      await running.stop();
      await pool.close();
    },
  };
}

/**
 * The received message in one buffer. With a declared size (RFC 1870 SIZE=) the buffer is
 * allocated once, with room for the CRLFs Postfix adds to its LF queue files; otherwise, or if
 * the declaration was short, chunks are joined at the end (one copy).
 */
class MessageBuffer {
  private buffer?: Buffer;
  private used = 0;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    declared: number,
    private readonly max: number,
  ) {
    if (declared > 0) this.buffer = Buffer.allocUnsafe(Math.min(max, declared + (declared >> 4) + 65536));
  }

  get tooBig(): boolean {
    return this.size > this.max;
  }

  add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.tooBig) {
      this.buffer = undefined;
      this.chunks = [];
    } else if (this.buffer && this.used + chunk.length <= this.buffer.length) {
      this.used += chunk.copy(this.buffer, this.used);
    } else {
      if (this.buffer) this.chunks.push(this.buffer.subarray(0, this.used));
      this.buffer = undefined;
      this.chunks.push(chunk);
    }
  }

  take(): Buffer {
    return this.buffer ? this.buffer.subarray(0, this.used) : Buffer.concat(this.chunks, this.size);
  }
}

/**
 * For sent copies (the webmail, before an IMAP APPEND): the message encrypted for its owner's
 * active keys, unchanged when the mailbox is in mode `none` or the message already encrypted.
 */
export async function encryptForOwner(
  db: Db,
  address: string,
  rawMessage: Buffer,
  now = new Date(),
): Promise<Buffer> {
  const policy = (await new RecipientKeys(db, () => now, 0).lookup([address.toLowerCase()])).get(
    address.toLowerCase(),
  );
  if (!policy) throw errors.notFound();
  if (policy.mode === 'none') return rawMessage;
  const encrypted =
    policy.keys.length > 0
      ? await encryptMessage(rawMessage, policy.keys, { protectedSubject: policy.protectedSubject }).catch(
          (e: unknown) => {
            logger.warn({ err: e, mailbox: policy.mailboxId }, 'sent copy: encryption failed');
            return null;
          },
        )
      : null;
  if (encrypted === null) {
    throw errors.unavailable(undefined, {
      fr: 'Impossible de chiffrer pour cette boîte : aucune clé active utilisable.',
      en: 'Cannot encrypt for this mailbox: no usable active key.',
    });
  }
  return encrypted ?? rawMessage;
}

/** `giroflee serve`: the gateway on config.lmtp, next hop Dovecot's LMTP at config.dovecotLmtp. */
export const inboundGatewayComponent: Component = {
  name: 'inbound-gateway',
  async start(ctx) {
    const s = ctx.config.encryption;
    const gateway = await startLmtpGateway(ctx.db, ctx.now, {
      listen: ctx.config.lmtp,
      nextHop: ctx.config.dovecotLmtp,
      name: ctx.config.platformHostname,
      maxMessageBytes: s.maxMessageBytes,
      timeoutMs: s.timeoutMs,
      nextHopConnections: s.dovecotConnections,
      keyCacheMs: 5000,
    });
    logger.info({ listen: `${ctx.config.lmtp.host}:${gateway.port}` }, 'inbound encrypting LMTP gateway');
    return gateway;
  },
};
