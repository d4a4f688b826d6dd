import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { SMTPServer, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { Endpoint } from '../config';
import type { Component } from '../component';
import type { Db } from '../db/knex';
import { errors } from '../errors';
import { logger } from '../logger';
import { countInboundReplies, timeEncryption } from '../metrics/metrics';
import { LmtpClientPool, RecipientReply } from './lmtp-client-pool';
import { encryptLargeMessage, encryptMessage } from './pgp-mime';
import { RecipientKeys, RecipientPolicy } from './recipient-keys';

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
}

export interface LmtpGateway {
  port: number;
  /** Finishes in-flight transactions, refuses new ones, closes the next-hop connections. */
  stop(): Promise<void>;
}

type Reply = RecipientReply;

interface OpenSession {
  send(code: number, text: string): void;
  close(): void;
}

const shuttingDown = () =>
  Object.assign(new Error('4.3.2 shutting down, try again later'), { responseCode: 421 });

const encryptionFailed = (why: string): Reply => ({
  code: 451,
  text: `4.7.0 cannot encrypt for this mailbox: ${why}`,
});

/** An Error as smtp-server expects for a per-recipient refusal (its text is sent as is). */
function asResponse(r: Reply): string | Error {
  if (r.code >= 200 && r.code < 300) return r.text;
  return Object.assign(new Error(r.text), { responseCode: r.code });
}

/**
 * The inbound gateway between Postfix (virtual_transport) and Dovecot's LMTP: every message is
 * stored as PGP/MIME for its recipient's active keys, or not at all (DESIGN.md). One reply per
 * accepted RCPT, in order, duplicates included (RFC 2033 §4.2): smtp-server merges duplicate
 * recipients, so the gateway keeps its own list of RCPTs per transaction.
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
  const rcpts = new WeakMap<SMTPServerSession, string[]>();
  const declaredSizes = new WeakMap<SMTPServerSession, number>();
  const tooBig = (): Reply => ({
    code: 552,
    text: `5.3.4 message larger than ${opts.maxMessageBytes} bytes`,
  });
  let stopping = false;
  // Sessions between MAIL FROM and the replies to DATA: a graceful stop waits for them.
  const inTransaction = new Set<SMTPServerSession>();
  let drained: (() => void) | undefined;
  const done = (session: SMTPServerSession) => {
    inTransaction.delete(session);
    if (inTransaction.size === 0) drained?.();
  };

  async function process(raw: Buffer, from: string, list: string[]): Promise<Array<string | Error>> {
    const distinct = [...new Set(list)];
    const policies = await keys.lookup(distinct);
    const replies = new Map<string, Reply>();
    // Recipients sharing a payload share one downstream transaction.
    const payloads = new Map<string, { body: Payload; to: string[] }>();
    const encryptions = new Map<string, Promise<Payload | undefined>>();
    for (const rcpt of distinct) {
      const policy = policies.get(rcpt);
      // Not one of our active mailboxes (deleted or disabled since Postfix accepted it): answer
      // for Dovecot rather than hand it anything in clear.
      if (!policy) {
        replies.set(rcpt, { code: 550, text: '5.1.1 no such mailbox here' });
        continue;
      }
      let groupKey = 'clear';
      let body: Payload | Reply = raw;
      if (policy.mode !== 'none') {
        body = await encryptedFor(policy, raw, encryptions, raw.length > LARGE_MESSAGE_BYTES);
      }
      if (isReply(body)) {
        replies.set(rcpt, body);
        continue;
      }
      if (body !== raw) groupKey = policyKey(policy);
      const group = payloads.get(groupKey) ?? { body, to: [] };
      group.to.push(rcpt);
      payloads.set(groupKey, group);
    }
    await Promise.all(
      [...payloads.values()].map(async ({ body, to }) => {
        const open = typeof body === 'function' ? body : () => body;
        for (const [r, reply] of await pool.deliver(from, to, open)) replies.set(r, reply);
      }),
    );
    return list.map((r) => asResponse(replies.get(r) ?? { code: 451, text: '4.3.0 internal error' }));
  }

  const server = new SMTPServer({
    lmtp: true,
    name: opts.name,
    banner: 'giroflee encrypting gateway',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    // Replies carry their own enhanced status codes (5.3.4, 4.7.0, the next hop's own).
    hideENHANCEDSTATUSCODES: true,
    // SIZE is announced without a value (RFC 1870) so that Postfix declares each message's size:
    // the gateway then checks it itself (5.3.4) and sizes its buffer once.
    size: opts.maxMessageBytes,
    hideSize: true,
    // Never a DNS query from the gateway (and no client address in any log).
    disableReverseLookup: true,
    logger: false,
    socketTimeout: opts.timeoutMs,
    closeTimeout: opts.timeoutMs,
    onConnect(_session, cb) {
      if (stopping) return cb(shuttingDown());
      cb();
    },
    onClose(session) {
      done(session);
    },
    onMailFrom(address, session, cb) {
      if (stopping) return cb(shuttingDown());
      rcpts.set(session, []);
      inTransaction.add(session);
      // RFC 1870 §6.2: refuse a declared size above the limit before the data is sent.
      const args = address.args as Record<string, string> | false;
      const declared = Number(args ? (args.SIZE ?? 0) : 0);
      if (declared > opts.maxMessageBytes) {
        const r = tooBig();
        return cb(Object.assign(new Error(r.text), { responseCode: r.code }));
      }
      declaredSizes.set(session, declared);
      cb();
    },
    onRcptTo(address, session, cb) {
      rcpts.get(session)?.push(address.address.toLowerCase());
      cb();
    },
    onData(stream: SMTPServerDataStream, session, cb) {
      const list = rcpts.get(session) ?? [];
      const message = new MessageBuffer(declaredSizes.get(session) ?? 0, opts.maxMessageBytes);
      stream.on('data', (chunk: Buffer) => message.add(chunk));
      const reply = (replies: Array<string | Error>) => {
        countInboundReplies(replies);
        done(session);
        cb(null, replies as unknown as string);
      };
      stream.on('end', () => {
        if (message.tooBig) return reply(list.map(() => asResponse(tooBig())));
        const raw = message.take();
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        process(raw, from, list).then(reply, (e: unknown) => {
          logger.error({ err: e }, 'inbound gateway: transaction failed');
          reply(list.map(() => asResponse({ code: 451, text: '4.3.0 temporary failure' })));
        });
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => resolve());
  });
  server.on('error', (e) => logger.error({ err: e }, 'inbound gateway error'));
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    async stop() {
      stopping = true;
      if (inTransaction.size > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, opts.timeoutMs).unref();
        });
      }
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle sessions (Postfix caches its LMTP connections) are told to come back later.
      for (const c of (server as unknown as { connections: Set<OpenSession> }).connections) {
        c.send(421, '4.3.2 shutting down, try again later');
        c.close();
      }
      await closing;
      await pool.close();
    },
  };
}

function policyKey(policy: RecipientPolicy): string {
  return `${policy.protectedSubject ? 'p' : 'c'}:${policy.keys.map((k) => k.getFingerprint()).join(',')}`;
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

/** The stored form: a buffer, or for a large message a factory of it as a stream. */
type Payload = Buffer | (() => Readable);

// Above this, the stored form is streamed to the next hop (memory bound: DESIGN.md).
const LARGE_MESSAGE_BYTES = 1024 * 1024;

const isReply = (x: Payload | Reply): x is Reply => typeof x === 'object' && !Buffer.isBuffer(x);

/** The stored form for this recipient, or the reply that defers it (fail closed). */
async function encryptedFor(
  policy: RecipientPolicy,
  raw: Buffer,
  cache: Map<string, Promise<Payload | undefined>>,
  large: boolean,
): Promise<Payload | Reply> {
  if (policy.keys.length === 0) return encryptionFailed('no usable active key');
  const k = policyKey(policy);
  let p = cache.get(k);
  if (!p) {
    const opts = { protectedSubject: policy.protectedSubject };
    p = timeEncryption<Payload | undefined>(
      large ? encryptLargeMessage(raw, policy.keys, opts) : encryptMessage(raw, policy.keys, opts),
    );
    cache.set(k, p);
  }
  try {
    return (await p) ?? raw;
  } catch (e) {
    logger.warn({ err: e, mailbox: policy.mailboxId }, 'inbound gateway: encryption failed');
    return encryptionFailed('encryption error');
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
  const result = await encryptedFor(policy, rawMessage, new Map(), false);
  if (!Buffer.isBuffer(result)) {
    throw errors.unavailable(undefined, {
      fr: 'Impossible de chiffrer pour cette boîte : aucune clé active utilisable.',
      en: 'Cannot encrypt for this mailbox: no usable active key.',
    });
  }
  return result;
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
