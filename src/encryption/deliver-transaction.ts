import { Readable } from 'node:stream';
import type { SmtpReply } from '../smtp/reply';
import { DELIVERY_HEADER } from './delivery-id';
import type { RecipientPolicy } from './recipient-keys';

/** The stored form of a message: a buffer, or for a large message a factory of it as a stream. */
export type Payload = Buffer | (() => Readable);

/** What one inbound transaction needs from the world, passed in (tests give fakes). */
export interface TransactionDeps {
  /** Policy per lowercase address; null for an address that is no active mailbox here. */
  policies(addresses: string[]): Promise<Map<string, RecipientPolicy | null>>;
  /**
   * The message encrypted for the policy's keys, or undefined when it is already encrypted and
   * passes unchanged. Throws when it cannot be encrypted.
   */
  encrypt(raw: Buffer, policy: RecipientPolicy): Promise<Payload | undefined>;
  /**
   * One delivery to the next hop for distinct recipients, with each one's final reply. Never
   * throws: a failure is a reply (4xx).
   */
  deliver(from: string, to: string[], payload: Payload): Promise<Map<string, SmtpReply>>;
}

export interface Transaction {
  from: string;
  /** Lowercase addresses in RCPT order, duplicates included. */
  recipients: string[];
  message: Buffer;
  /** Written in clear on top of what is stored, so that a retry is stored once (delivery-id.ts). */
  deliveryId?: string;
}

const cannotEncrypt = (why: string): SmtpReply => ({
  code: 451,
  text: `4.7.0 cannot encrypt for this mailbox: ${why}`,
});

/** Recipients sharing keys and options share one encryption and one next-hop delivery. */
function policyKey(policy: RecipientPolicy): string {
  return `${policy.protectedSubject ? 'p' : 'c'}:${policy.keys.map((k) => k.getFingerprint()).join(',')}`;
}

/** The payload with a header field on top, in the message's own line ending. */
function withField(payload: Payload, message: Buffer, field: string): Payload {
  const lf = message.indexOf(0x0a);
  const line = Buffer.from(`${field}${lf > 0 && message[lf - 1] === 0x0d ? '\r\n' : '\n'}`);
  if (Buffer.isBuffer(payload)) return Buffer.concat([line, payload]);
  return () =>
    Readable.from(
      (async function* () {
        yield line;
        yield* payload();
      })(),
      { objectMode: false },
    );
}

/**
 * The next hop's reply for one recipient, as we pass it on. "No such user" (5.1.1) for a mailbox
 * our own lookup has just found active is a doubt, not a verdict: Dovecot 2.3's SQL userdb gives
 * it when its database connection is down (it cannot escape the query), so a restarting
 * PostgreSQL would bounce mail. It is deferred instead (RFC 3463 §3.4: 4.3.0); Postfix retries.
 */
function fromNextHop(reply: SmtpReply | undefined): SmtpReply {
  if (!reply) return { code: 451, text: '4.4.2 no reply from the next hop' };
  if (reply.code === 550 && reply.text.startsWith('5.1.1'))
    return { code: 451, text: '4.3.0 the mailbox store did not find an active mailbox, try again later' };
  return reply;
}

/**
 * One inbound transaction, from the recipients' policies to one reply per RCPT, in RCPT order,
 * duplicates included (RFC 2033 §4.2). Fails closed: a recipient that is no active mailbox gets
 * 550 5.1.1 and nothing reaches the next hop for it; one whose mailbox requires encryption and
 * cannot have it gets 451 4.7.0, never a copy in clear; any other doubt is a 4xx, so Postfix
 * keeps the message.
 */
export async function deliverTransaction(deps: TransactionDeps, tx: Transaction): Promise<SmtpReply[]> {
  const distinct = [...new Set(tx.recipients)];
  let policies: Map<string, RecipientPolicy | null>;
  try {
    policies = await deps.policies(distinct);
  } catch {
    const later: SmtpReply = { code: 451, text: '4.3.0 mailbox lookup failed, try again later' };
    return tx.recipients.map(() => later);
  }
  const replies = new Map<string, SmtpReply>();
  const groups = new Map<string, { payload: Payload; to: string[] }>();
  const encryptions = new Map<string, Promise<Payload | undefined>>();
  for (const rcpt of distinct) {
    const policy = policies.get(rcpt);
    // Deleted or disabled since Postfix accepted it: answer for Dovecot rather than hand it
    // anything in clear.
    if (!policy) {
      replies.set(rcpt, { code: 550, text: '5.1.1 no such mailbox here' });
      continue;
    }
    let group = 'clear';
    let payload: Payload = tx.message;
    if (policy.mode !== 'none') {
      if (policy.keys.length === 0) {
        replies.set(rcpt, cannotEncrypt('no usable active key'));
        continue;
      }
      const key = policyKey(policy);
      let encryption = encryptions.get(key);
      if (!encryption) {
        encryption = deps.encrypt(tx.message, policy);
        encryptions.set(key, encryption);
      }
      try {
        const encrypted = await encryption;
        if (encrypted !== undefined) [group, payload] = [key, encrypted];
      } catch {
        replies.set(rcpt, cannotEncrypt('encryption error'));
        continue;
      }
    }
    const g = groups.get(group) ?? { payload, to: [] };
    g.to.push(rcpt);
    groups.set(group, g);
  }
  const stamp = (p: Payload) =>
    tx.deliveryId ? withField(p, tx.message, `${DELIVERY_HEADER}: ${tx.deliveryId}`) : p;
  await Promise.all(
    [...groups.values()].map(async ({ payload, to }) => {
      let delivered: Map<string, SmtpReply>;
      try {
        delivered = await deps.deliver(tx.from, to, stamp(payload));
      } catch {
        delivered = new Map();
      }
      for (const r of to) {
        replies.set(r, fromNextHop(delivered.get(r)));
      }
    }),
  );
  return tx.recipients.map((r) => replies.get(r)!);
}
