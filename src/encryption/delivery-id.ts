import crypto from 'node:crypto';

/**
 * The clear header field, on every message the inbound gateway hands Dovecot, that names the
 * Postfix queue file it came from; Dovecot's global Sieve script discards a second delivery of
 * the same one to a mailbox (src/mailstack/render-dovecot.ts).
 */
export const DELIVERY_HEADER = 'X-Giroflee-Delivery';

/**
 * The delivery id of a transaction from Postfix: a digest of its queue id (XFORWARD IDENT,
 * which Postfix's LMTP client sends before MAIL) and envelope sender. Every retry of one queue
 * file carries the same queue id; a new SMTP transaction gets a new queue file, and Postfix's
 * long queue ids (enable_long_queue_ids) are not reused over time. Undefined when Postfix sent
 * none: such a message is then never taken for a duplicate. The digest carries nothing of the
 * message or of the client.
 */
export function deliveryId(queueId: string, from: string): string | undefined {
  if (!/^[0-9A-Za-z]{6,40}$/.test(queueId)) return undefined;
  return crypto.createHash('sha256').update(`${queueId}\0${from}`).digest('base64url').slice(0, 22);
}
