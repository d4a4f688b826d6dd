import { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Endpoint } from '../config';
import { logger } from '../logger';
import { gatewayServerOptions, listen, type RunningServer } from '../smtp/gateway-server';
import { SmtpReplyError } from '../smtp/reply';
import type { CircuitBreakers } from './circuit-breaker';
import { closedReply } from '../sending/check-submission';
import type { SenderClosed } from '../sending/sending-limits';
import {
  dkimSignatures,
  fromAddress,
  headerAddress,
  headerBlock,
  type SigningKeysLookup,
} from './dkim-sign-message';
import { outboundMetrics } from '../metrics/metrics';
import type { RelayTarget } from './relay-transport';
import { routeMessage, type SendAttempt } from './route-message';

export interface OutboundGatewayOptions {
  listen: Endpoint;
  /** Relays in routing order (see routingOrder), asked for every message (cached by the caller). */
  loadRelays: () => Promise<RelayTarget[]>;
  signingKeys: SigningKeysLookup;
  /**
   * Whether mail in the name of these addresses must not leave, and why (suspended mailbox or
   * collective: src/sending closedSender); absent, nothing is refused for it (tests of routing).
   */
  closedSender?: (addresses: string[]) => Promise<SenderClosed | undefined>;
  /** Whether the owner of the envelope sender may also send as the From address (sender-identities.ts). */
  sameSenderOwner: (envelopeSender: string, from: string) => Promise<boolean>;
  send: SendAttempt;
  breakers: CircuitBreakers;
  now: () => Date;
  hostname: string;
  maxMessageBytes: number;
}

export type RunningGateway = RunningServer;

// smtp-server's default inactivity timeout: relay attempts may take a while before the reply.
const SESSION_TIMEOUT_MS = 60_000;

/** The policy service's refusal ("550 5.7.1 …"), as a reply of this server. */
function closedReplyOf(closed: SenderClosed): { code: number; text: string } {
  const reply = closedReply(closed);
  return { code: Number(reply.slice(0, 3)), text: reply.slice(4) };
}

/** Holds the message as the chunks it arrived in: no concatenated copy, replayable per attempt. */
async function collect(stream: SMTPServerDataStream): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks;
}

async function handleMessage(
  o: OutboundGatewayOptions,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
): Promise<string> {
  const chunks = await collect(stream);
  if (stream.sizeExceeded) {
    throw new SmtpReplyError({ code: 552, text: '5.3.4 Message too big for the outbound gateway' });
  }
  const mailFrom = session.envelope.mailFrom;
  const envelopeSender = mailFrom ? mailFrom.address : '';
  const headers = headerBlock(chunks);
  const from = fromAddress(headers);
  // Mail in a suspended mailbox's or collective's name does not leave. Submission was refused
  // already (the policy service); this is for what Dovecot's Sieve sends straight here
  // (submission_host): a redirect names its mailbox in X-Sieve-Redirected-From (Pigeonhole);
  // a vacation reply of a mailbox that cannot log in has it as envelope sender (the userdb says
  // so, render-dovecot.ts), others a null one and the mailbox's address in From.
  const redirectedBy = headerAddress(headers, 'x-sieve-redirected-from');
  const closed = await o.closedSender?.(redirectedBy ? [redirectedBy] : [envelopeSender, from ?? '']);
  if (closed) {
    outboundMetrics.messages.inc({ result: 'refused' });
    throw new SmtpReplyError(closedReplyOf(closed));
  }
  const keys = from ? await o.signingKeys(from.slice(from.lastIndexOf('@') + 1)) : [];
  // The submission milter already held every From to the SASL login; this second guard keeps
  // the gateway from signing for a domain whatever the path: the From must be the envelope
  // sender (checked against the login by Postfix, or giroflee's own notices) or an address of
  // the same owner. A null envelope sender (a read receipt, RFC 8098 §3) names no owner: there
  // only the milter's check stands.
  if (
    keys.length > 0 &&
    envelopeSender &&
    from !== envelopeSender.toLowerCase() &&
    !(await o.sameSenderOwner(envelopeSender, from!))
  ) {
    outboundMetrics.messages.inc({ result: 'refused' });
    throw new SmtpReplyError({
      code: 550,
      text: '5.7.1 From is not an address of the envelope sender; not signed',
    });
  }
  let signed: Awaited<ReturnType<typeof dkimSignatures>>;
  try {
    signed = await dkimSignatures(chunks, keys, o.now());
  } catch (e) {
    // Unsigned mail from a hosted domain would fail DMARC at the recipient: hold it instead.
    logger.error({ err: e }, 'outbound gateway: DKIM signing failed');
    outboundMetrics.messages.inc({ result: 'deferred' });
    throw new SmtpReplyError({ code: 451, text: '4.3.0 DKIM signing failed; try again later' });
  }
  const prefix = Buffer.from(signed.headers, 'utf8');
  const relays = await o.loadRelays();
  const result = await routeMessage({
    relays,
    breakers: o.breakers,
    send: o.send,
    from: envelopeSender,
    recipients: session.envelope.rcptTo.map((r) => r.address),
    message: () => Readable.from(prefix.length ? [prefix, ...chunks] : chunks),
  });
  for (const a of result.attempts) outboundMetrics.attempts.inc({ relay: a.relay, result: a.result });
  const { code, text } = result.reply;
  const outcome = code < 300 ? 'relayed' : code < 500 ? 'deferred' : 'refused';
  outboundMetrics.messages.inc({ result: outcome });
  // Postfix already logs every delivery; the gateway adds a line at info only when it did not relay.
  logger[code < 300 ? 'debug' : 'info'](
    {
      recipients: result.recipients.size,
      signatures: signed.count,
      attempts: result.attempts,
      code,
    },
    `outbound gateway: ${outcome}`,
  );
  if (code >= 400) throw new SmtpReplyError({ code, text });
  return text;
}

/**
 * The outbound SMTP gateway: Postfix's content_filter hands it submitted mail; it DKIM-signs
 * for hosted domains and hands the message to the relay pool. It answers 250 only once a relay
 * took every recipient; on any doubt 4xx, and Postfix keeps the message and retries.
 */
export async function startOutboundGateway(o: OutboundGatewayOptions): Promise<RunningGateway> {
  const server = new SMTPServer({
    ...gatewayServerOptions({
      name: o.hostname,
      banner: 'giroflee outbound gateway',
      maxMessageBytes: o.maxMessageBytes,
      timeoutMs: SESSION_TIMEOUT_MS,
    }),
    onData(stream, session, callback) {
      handleMessage(o, stream, session).then(
        (text) => callback(null, text),
        (e: unknown) => {
          if (e instanceof SmtpReplyError) return callback(e);
          // Anything unexpected (database down, a bug): defer, never drop (RFC 5321 §4.2.1).
          logger.error({ err: e }, 'outbound gateway: message deferred on error');
          stream.resume();
          callback(new SmtpReplyError({ code: 451, text: '4.3.0 Temporary gateway error; try again later' }));
        },
      );
    },
  });
  return listen(server, o.listen, 'outbound gateway');
}
