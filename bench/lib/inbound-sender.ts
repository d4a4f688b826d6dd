import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { staticLookup, startZoneServer, type ZoneServer } from '../../src/dns/zone-server';

/**
 * The outside sender of the inbound benches (bench/inbound, bench/defence): Postfix's
 * smtp-source writes the messages (its headers and a body of `X` lines of the asked size), from a
 * domain whose DNS the bench serves on loopback.
 */
export const SENDER_DOMAIN = 'remote.example';
export const SENDER = `bench@${SENDER_DOMAIN}`;
export const SENDER_HELO = `bench.${SENDER_DOMAIN}`;

/**
 * What the defence asks DNS about the bench's sender: its SPF record passes the loopback client
 * and its DMARC policy is published (p=none: evaluated, never refused), as for ordinary mail.
 */
export function startSenderDns(port: number): Promise<ZoneServer> {
  const txt = (name: string, value: string) => ({ name, ttl: 300, type: 'TXT' as const, value: [value] });
  return startZoneServer(
    { host: '127.0.0.1', port },
    staticLookup([
      txt(SENDER_DOMAIN, 'v=spf1 ip4:127.0.0.1 -all'),
      txt(`_dmarc.${SENDER_DOMAIN}`, 'v=DMARC1; p=none'),
    ]),
  );
}

/** smtp-source sends `count` messages of `size` bytes to `to` over `sessions` sessions. */
export function smtpSource(
  mxPort: number,
  to: string,
  count: number,
  size: number,
  sessions: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'smtp-source',
      [
        ...['-s', String(sessions), '-m', String(count), '-l', String(size), '-S', 'bench'],
        ...['-f', SENDER, '-t', to, '-M', SENDER_HELO, `127.0.0.1:${mxPort}`],
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`smtp-source exited ${code}`))));
  });
}

/**
 * One message case of the inbound benches, from BENCH_SIZES_KB: `100` is smtp-source's message of
 * 100 KB (one text part of `X` lines: the worst case for a filter that reads text); `1024a` is a
 * message of 1024 KB as large mail mostly is, a short text part and a binary attachment
 * (base64), which a filter decodes and hashes but does not read as words.
 */
export interface MessageCase {
  /** As written in BENCH_SIZES_KB, and the key of the results. */
  key: string;
  kb: number;
  attachment: boolean;
  /** The column heading of the reports. */
  label: string;
}

export function messageCases(spec: string): MessageCase[] {
  return spec.split(',').map((key) => {
    const m = /^(\d+)(a?)$/.exec(key.trim());
    if (!m) throw new Error(`BENCH_SIZES_KB: ${key} is neither a size in KB nor a size followed by a`);
    const kb = Number(m[1]);
    const attachment = m[2] === 'a';
    return { key: key.trim(), kb, attachment, label: attachment ? `${kb} KB, attachment` : `${kb} KB, text` };
  });
}

/** The text part of the attachment case: a few lines of ordinary prose, about 1 KB. */
const COVER_TEXT = [
  'Bonjour,',
  '',
  "Vous trouverez ci-joint le compte rendu de la dernière assemblée générale de l'association,",
  'avec le budget prévisionnel et la liste des adhésions renouvelées cette année. Merci de nous',
  'faire part de vos remarques avant la fin du mois, afin que nous puissions le publier.',
  '',
  'Please find attached the minutes of our last general meeting, with the provisional budget and',
  'the list of memberships renewed this year. Send us your comments before the end of the month',
  'so that we can publish them.',
  '',
  'Bien cordialement,',
  'Le bureau',
].join('\r\n');

/**
 * Bytes that look like a PDF to a MIME sniffer and like its compressed streams to everything else:
 * incompressible, and the same from run to run (AES-CTR's keystream under a fixed key).
 */
function pdfLike(bytes: number): Buffer {
  const head = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
  const tail = Buffer.from('\n%%EOF\n', 'latin1');
  const cipher = crypto.createCipheriv('aes-128-ctr', Buffer.alloc(16), Buffer.alloc(16));
  const body = cipher.update(Buffer.alloc(Math.max(0, bytes - head.length - tail.length)));
  return Buffer.concat([head, body, tail]);
}

function compose(to: string, attachmentBytes: number): Promise<Buffer> {
  return new MailComposer({
    from: SENDER,
    to,
    subject: "Compte rendu de l'assemblée générale / Minutes of the general meeting",
    messageId: `<bench-attachment@${SENDER_DOMAIN}>`,
    date: new Date(),
    text: COVER_TEXT,
    attachments: [
      { filename: 'compte-rendu.pdf', contentType: 'application/pdf', content: pdfLike(attachmentBytes) },
    ],
  })
    .compile()
    .build();
}

/** The attachment case's message to `to`, `size` bytes long (within a line of base64). */
export async function attachmentMessage(to: string, size: number): Promise<Buffer> {
  // Base64 in lines of 76 characters and CRLF: 78 bytes of message per 57 bytes of attachment.
  const first = await compose(to, Math.floor((size * 57) / 78));
  return compose(to, Math.floor((size * 57) / 78 - ((first.length - size) * 57) / 78));
}

/**
 * Sends `message` `count` times to `to` over `sessions` parallel sessions, one message per
 * connection as smtp-source does (nodemailer: smtp-source only writes its own body).
 */
export async function sendRaw(
  mxPort: number,
  to: string,
  count: number,
  message: Buffer,
  sessions: number,
): Promise<void> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: mxPort,
    secure: false,
    ignoreTLS: true,
    name: SENDER_HELO,
  });
  let next = 0;
  const session = async () => {
    while (next < count) {
      next++;
      await transport.sendMail({ envelope: { from: SENDER, to: [to] }, raw: message });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(sessions, count) }, session));
  } finally {
    transport.close();
  }
}

/**
 * A sender of one case's messages to `to`, ready before the clock starts: smtp-source for the
 * text cases, the composed message through sendRaw for the attachment case.
 */
export async function caseSender(
  c: MessageCase,
  to: string,
): Promise<(mxPort: number, count: number, sessions: number) => Promise<void>> {
  if (!c.attachment) return (mxPort, count, sessions) => smtpSource(mxPort, to, count, c.kb * 1024, sessions);
  const message = await attachmentMessage(to, c.kb * 1024);
  return (mxPort, count, sessions) => sendRaw(mxPort, to, count, message, sessions);
}
