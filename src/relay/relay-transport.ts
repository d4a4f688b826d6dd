import type { Readable } from 'node:stream';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Endpoint } from '../config';

/** What the transport needs of a relay: where, how, and with which credentials. */
export interface RelayTarget {
  id: string;
  name: string;
  kind: 'smarthost' | 'direct';
  host: string | null;
  port: number | null;
  tlsMode: 'implicit' | 'starttls' | 'none';
  username: string | null;
  password?: string;
  /** Changes whenever the connection settings or credentials do, so a stale transport is replaced. */
  version: string;
}

export interface TransportOptions {
  /** Postfix's reinjection listener: where a `direct` relay hands mail back for MX delivery. */
  reinject: Endpoint;
  /** EHLO name: the platform's name, never this machine's. */
  heloName: string;
  connectionTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
  /** Extra TLS options (a test CA); production uses the system's trust store. */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
}

/** The outcome of one attempt at one relay. */
export type AttemptResult =
  /** Connection, TLS, authentication, timeout or protocol failure: try the next relay. */
  | { kind: 'unreachable'; text: string }
  /** The relay answered MAIL FROM or DATA with a message-wide code. */
  | { kind: 'refused'; code: number; text: string }
  /** The relay took the message for `accepted`; `rejected` recipients carry its reply. */
  | { kind: 'sent'; accepted: string[]; rejected: Array<{ recipient: string; code: number; text: string }> };

interface SmtpError extends Error {
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

function nodemailerOptions(target: RelayTarget, o: TransportOptions) {
  const direct = target.kind === 'direct';
  const host = direct ? o.reinject.host : (target.host as string);
  const port = direct ? o.reinject.port : (target.port as number);
  const mode = direct ? 'none' : target.tlsMode;
  return {
    pool: true as const,
    maxConnections: 4,
    host,
    port,
    name: o.heloName,
    // implicit: TLS from the first byte (RFC 8314); starttls: refuse to go on in clear (RFC 3207).
    secure: mode === 'implicit',
    requireTLS: mode === 'starttls',
    ignoreTLS: mode === 'none',
    auth: target.username && target.password ? { user: target.username, pass: target.password } : undefined,
    connectionTimeout: o.connectionTimeoutMs,
    greetingTimeout: o.greetingTimeoutMs,
    socketTimeout: o.socketTimeoutMs,
    tls: { servername: mode === 'none' ? undefined : host, ...o.tls },
    // A pooled connection that dies mid-message is a failed attempt, never a silent resend.
    maxRequeues: 0,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  };
}

function replyText(response: string | undefined, fallback: string): string {
  // Drop the reply code: the gateway writes its own.
  return (response ?? fallback).replace(/^\d{3}[ -]/, '').trim();
}

/** Classifies nodemailer's result or error into an attempt outcome. */
export function classify(
  err: SmtpError | null,
  info?: { accepted?: unknown[]; rejectedErrors?: SmtpError[] },
): AttemptResult {
  const rejectedOf = (list: SmtpError[] | undefined) =>
    (list ?? []).map((r) => ({
      recipient: String(r.recipient),
      code: r.responseCode ?? 450,
      text: replyText(r.response, r.message),
    }));
  if (!err) {
    return {
      kind: 'sent',
      accepted: (info?.accepted ?? []).map(String),
      rejected: rejectedOf(info?.rejectedErrors),
    };
  }
  if (err.code === 'EENVELOPE' && err.command === 'RCPT TO' && err.rejectedErrors?.length) {
    return { kind: 'sent', accepted: [], rejected: rejectedOf(err.rejectedErrors) };
  }
  const messageWide = err.command === 'MAIL FROM' || err.command === 'DATA' || err.command === 'DATA FINAL';
  if (messageWide && err.responseCode && err.responseCode >= 400) {
    return { kind: 'refused', code: err.responseCode, text: replyText(err.response, err.message) };
  }
  return { kind: 'unreachable', text: `${err.code ?? 'ERROR'}: ${replyText(err.response, err.message)}` };
}

/** One pooled nodemailer transport per relay, replaced when the relay's row changes. */
export class RelayTransports {
  private readonly pools = new Map<string, { version: string; transport: Transporter }>();

  constructor(private readonly options: TransportOptions) {}

  private transportFor(target: RelayTarget): Transporter {
    const cached = this.pools.get(target.id);
    if (cached && cached.version === target.version) return cached.transport;
    cached?.transport.close();
    const transport = nodemailer.createTransport(nodemailerOptions(target, this.options));
    this.pools.set(target.id, { version: target.version, transport });
    return transport;
  }

  async send(
    target: RelayTarget,
    envelope: { from: string; to: string[] },
    message: () => Readable,
  ): Promise<AttemptResult> {
    try {
      const info = await this.transportFor(target).sendMail({ envelope, raw: message() });
      return classify(null, info as { accepted?: unknown[]; rejectedErrors?: SmtpError[] });
    } catch (e) {
      return classify(e as SmtpError);
    }
  }

  /** Connect, EHLO, STARTTLS and AUTH as a real message would, without sending one. */
  async verify(target: RelayTarget): Promise<void> {
    const transport = nodemailer.createTransport({ ...nodemailerOptions(target, this.options), pool: false });
    try {
      await transport.verify();
    } finally {
      transport.close();
    }
  }

  close(): void {
    for (const { transport } of this.pools.values()) transport.close();
    this.pools.clear();
  }
}
