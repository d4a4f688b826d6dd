import net from 'node:net';
import type { Endpoint } from '../config';
import { logger } from '../logger';
import { headerAddresses } from './header-addresses';

/**
 * Who may write which From: and Sender: at submission, checked before Postfix queues the message.
 *
 * Postfix itself checks only the envelope sender against the login (reject_sender_login_mismatch);
 * the header From is what the recipient sees and what DMARC aligns DKIM with, so a mailbox of one
 * collective could otherwise have the outbound gateway sign `d=` another collective's domain.
 * The check needs the SASL login and the headers together, before the message is queued, so
 * that the refusal is a 5.7.1 at the end of DATA rather than a bounce later. Of Postfix's hooks,
 * only a milter sees both: XFORWARD carries no login, the policy service sees no headers, and
 * a content filter runs after the queue. Postfix sends the login as the `{auth_authen}` macro
 * with MAIL FROM (milter_mail_macros) and every header, so this milter answers at the end of
 * the headers. With outbound scanning (`scan`), it also takes the recipients and the body and
 * answers at the end of the message: the same hook, before the queue, so a refused message is
 * a 5.7.1 the member's mail program shows, never a bounce. `milter_default_action = tempfail`
 * makes Postfix answer 4xx whenever the milter is down or slow: nothing is accepted unchecked.
 *
 * The milter protocol (version 6) is Sendmail's libmilter wire format, as Postfix speaks it
 * (Postfix MILTER_README): each packet is a 32-bit big-endian length, a command byte and data.
 */

/** Addresses among `addresses` that `login` may send as (mta.sender_logins). */
export type AllowedSenders = (login: string, addresses: string[]) => Promise<Set<string>>;

/** The whole submitted message, as the outbound scan needs it. */
export interface SubmittedMessage {
  login: string;
  envelopeFrom: string;
  recipients: string[];
  /** Headers then body, CRLF line ends. */
  message: Buffer[];
}

export interface SubmissionMilterOptions {
  listen: Endpoint;
  allowedSenders: AllowedSenders;
  /** Scans the whole message once the headers passed (src/sending/check-outbound.ts). */
  scan?: (m: SubmittedMessage) => Promise<Verdict>;
}

export interface RunningMilter {
  port: number;
  stop(): Promise<void>;
}

const MILTER_VERSION = 6;
// Protocol steps this milter asks Postfix to skip (libmilter mfdef.h SMFIP_*).
const SKIP = {
  connect: 0x1,
  helo: 0x2,
  rcpt: 0x8,
  body: 0x10,
  unknown: 0x100,
  data: 0x200,
  // No reply to each header: they are only collected.
  replyHeader: 0x80,
};

export type Verdict = { code: 'continue' } | { code: 'reply'; text: string };

/** The verdict for one message: every From:/Sender: address must be one the login may send as. */
export async function judgeHeaders(
  login: string | undefined,
  headers: Array<[string, string]>,
  allowedSenders: AllowedSenders,
): Promise<Verdict> {
  if (!login) {
    return { code: 'reply', text: '530 5.7.0 Authentication required (authentification requise)' };
  }
  const checked = headers.filter(([name]) => /^(from|sender)$/i.test(name));
  const addresses = checked.flatMap(([, value]) => headerAddresses(value));
  if (checked.length > 0 && addresses.length === 0) {
    return { code: 'reply', text: '550 5.7.1 No address in From (aucune adresse dans From)' };
  }
  const allowed = addresses.length ? await allowedSenders(login, [...new Set(addresses)]) : new Set();
  const refused = addresses.find((a) => !allowed.has(a));
  if (refused === undefined) return { code: 'continue' };
  // Printable ASCII only in the reply, and no `%`, which libmilter's reply format reserves.
  const shown = refused.replace(/[^\x21-\x7e]|%/g, '?').slice(0, 200);
  return {
    code: 'reply',
    text:
      `550 5.7.1 <${shown}> in From/Sender is not an address of this login ` +
      // SMTP replies are ASCII (RFC 5321 §4.2): the French without its accents.
      "(adresse d'expediteur non autorisee pour cet identifiant)",
  };
}

function packet(command: string, data: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(data.length + 1, 0);
  head.write(command, 4, 'latin1');
  return Buffer.concat([head, data]);
}

/** NUL-separated strings of a packet's data. */
const strings = (data: Buffer) => data.toString('utf8').split('\0');

/** `<a@b>` as Postfix sends MAIL FROM's and RCPT TO's first argument → `a@b`. */
const unbracket = (arg = '') => arg.replace(/^<|>$/g, '');

/** The header section as it was submitted: milter header values end folded lines with LF only. */
function headerSection(headers: Array<[string, string]>): Buffer {
  const lines = headers.map(([name, value]) => `${name}: ${value.replace(/\r?\n/g, '\r\n')}\r\n`);
  return Buffer.from(`${lines.join('')}\r\n`, 'utf8');
}

/** One Postfix connection: one SMTP session, possibly several messages. */
function serveConnection(socket: net.Socket, o: SubmissionMilterOptions): void {
  let buffered = Buffer.alloc(0);
  let macros: Record<string, string> = {};
  let headers: Array<[string, string]> = [];
  let envelopeFrom = '';
  let recipients: string[] = [];
  let body: Buffer[] = [];
  let queue = Promise.resolve();
  // Scanning needs the recipients and the body: Postfix is asked to skip them only without it.
  const skip = o.scan ? { ...SKIP, rcpt: 0, body: 0 } : SKIP;
  const send = (command: string, data?: Buffer) => {
    if (!socket.destroyed) socket.write(packet(command, data));
  };

  async function handle(command: string, data: Buffer): Promise<void> {
    switch (command) {
      case 'O': {
        // Option negotiation: no changes to the message; skip what is not needed, among what
        // Postfix offers.
        const offered = data.readUInt32BE(8);
        const wanted = Object.values(skip).reduce((a, b) => a | b, 0) & offered;
        const reply = Buffer.alloc(12);
        reply.writeUInt32BE(MILTER_VERSION, 0);
        reply.writeUInt32BE(0, 4);
        reply.writeUInt32BE(wanted, 8);
        send('O', reply);
        return;
      }
      case 'D': {
        // Macros for the next command: the first byte names it, then name/value pairs.
        const pairs = strings(data.subarray(1));
        for (let i = 0; i + 1 < pairs.length; i += 2) macros[pairs[i]!] = pairs[i + 1]!;
        return;
      }
      case 'M':
        headers = [];
        recipients = [];
        body = [];
        envelopeFrom = unbracket(strings(data)[0]);
        send('c');
        return;
      case 'R':
        recipients.push(unbracket(strings(data)[0]));
        send('c');
        return;
      case 'B':
        body.push(Buffer.from(data));
        send('c');
        return;
      case 'L': {
        const [name = '', value = ''] = strings(data);
        headers.push([name, value]);
        return;
      }
      case 'N': {
        const login = macros['{auth_authen}'] || macros.auth_authen;
        let verdict: Verdict;
        try {
          verdict = await judgeHeaders(login, headers, o.allowedSenders);
        } catch (e) {
          logger.error({ err: e }, 'submission milter: sender check failed');
          verdict = { code: 'reply', text: '451 4.3.0 Sender check unavailable, try again later' };
        }
        if (verdict.code === 'reply') {
          send('y', Buffer.from(`${verdict.text}\0`, 'latin1'));
        } else {
          send('c');
        }
        return;
      }
      case 'E': {
        if (!o.scan) return void send('c');
        const login = macros['{auth_authen}'] || macros.auth_authen || '';
        let verdict: Verdict;
        try {
          verdict = await o.scan({
            login,
            envelopeFrom,
            recipients,
            message: [headerSection(headers), ...body],
          });
        } catch (e) {
          logger.error({ err: e }, 'submission milter: outbound scan failed');
          verdict = { code: 'reply', text: '451 4.3.0 Scanning unavailable, try again later' };
        }
        body = [];
        if (verdict.code === 'reply') send('y', Buffer.from(`${verdict.text}\0`, 'latin1'));
        else send('c');
        return;
      }
      case 'A':
        headers = [];
        recipients = [];
        body = [];
        return;
      case 'Q':
        socket.end();
        return;
      case 'K':
        // Quit this message and keep the connection for a new session (protocol 6).
        macros = {};
        headers = [];
        recipients = [];
        body = [];
        return;
      default:
        send('c');
    }
  }

  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      if (length < 1 || length > 1024 * 1024) {
        socket.destroy();
        return;
      }
      if (buffered.length < 4 + length) break;
      const command = String.fromCharCode(buffered[4]!);
      const data = buffered.subarray(5, 4 + length);
      buffered = buffered.subarray(4 + length);
      // One command at a time, in order: a header check may wait on the database.
      queue = queue
        .then(() => handle(command, data))
        .catch((e: unknown) => {
          // A malformed packet: Postfix applies milter_default_action (tempfail).
          logger.error({ err: e }, 'submission milter: protocol error');
          socket.destroy();
        });
    }
  });
  socket.on('error', () => socket.destroy());
}

/** Starts the milter Postfix's submission service asks before it queues a message. */
export async function startSubmissionMilter(o: SubmissionMilterOptions): Promise<RunningMilter> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, o);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
