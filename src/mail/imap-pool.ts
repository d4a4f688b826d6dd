import { ImapFlow } from 'imapflow';
import type { Endpoint } from '../config';
import { errors } from '../errors';
import { logger, withoutAddresses } from '../logger';
import { masterLogin, type MasterCredentials } from '../mailstack/master-user';

export interface MailSession {
  /** The giroflee session the connection belongs to. */
  sessionId: string;
  /** The mailbox, opened as `address*webmail` with the master credentials. */
  address: string;
}

export interface ImapPoolOptions {
  /** Read at each new connection, so a test can point a running app at its own Dovecot. */
  endpoint: () => Endpoint;
  credentials: () => Promise<MasterCredentials>;
  /** Closed after this long unused. */
  idleMs: number;
}

interface Entry {
  address: string;
  client: Promise<ImapFlow>;
  timer?: NodeJS.Timeout;
  /** Per-connection memo (sorted UID lists), dropped with the connection. */
  memo: Map<string, unknown>;
}

/**
 * What the log says of a failed IMAP connection or login: a code (the socket's, or Dovecot's
 * RFC 5530 response code) and the message, without Dovecot's address.
 */
export function imapFailure(e: unknown): { code?: string; reason: string } {
  const err = e as { code?: string; serverResponseCode?: string; message?: string } | undefined;
  return {
    code: err?.serverResponseCode ?? err?.code,
    reason: withoutAddresses(String(err?.message ?? e)),
  };
}

/** A new ImapFlow logged in to Dovecot as the mailbox through the webmail's master user. */
export async function openImap(
  endpoint: Endpoint,
  master: MasterCredentials,
  address: string,
  options: { autoIdleDelay?: number } = {},
): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: endpoint.host,
    port: endpoint.port,
    secure: false,
    // Loopback only: Dovecot and giroflee share the host (or a private network in production).
    doSTARTTLS: false,
    auth: { user: masterLogin(address, master), pass: master.password },
    // RFC 7162: CHANGEDSINCE and VANISHED let the browser catch up from a modseq.
    qresync: true,
    logger: false,
    ...options,
  });
  client.on('error', (err: Error) => logger.warn(imapFailure(err), 'webmail IMAP connection error'));
  try {
    await client.connect();
  } catch (e) {
    logger.warn(imapFailure(e), 'webmail IMAP login failed');
    throw errors.unavailable(undefined, {
      fr: 'Le serveur de courrier ne répond pas ; réessayez dans un instant.',
      en: 'The mail server does not answer; try again in a moment.',
    });
  }
  return client;
}

/** LOGOUT, or drop the socket when the server does not answer within a few seconds. */
export async function logoutOrClose(client: ImapFlow): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, 5000);
    timer.unref();
  });
  await Promise.race([client.logout().catch(() => undefined), timeout]);
  clearTimeout(timer);
  client.close();
}

/**
 * One IMAP connection per giroflee session, opened on first use, closed when the session logs
 * out or after `idleMs` without use. Commands on one connection run one after the other
 * (imapflow queues them), so a session never needs more than one.
 */
export class ImapPool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: ImapPoolOptions) {}

  /** Runs `fn` with the session's connection; the connection stays open for the next call. */
  async use<T>(
    session: MailSession,
    fn: (client: ImapFlow, memo: Map<string, unknown>) => Promise<T>,
  ): Promise<T> {
    const entry = await this.entry(session);
    const client = await entry.client;
    this.touch(session.sessionId, entry);
    return fn(client, entry.memo);
  }

  private async entry(session: MailSession): Promise<Entry> {
    const existing = this.entries.get(session.sessionId);
    if (existing) {
      const client = await existing.client.catch(() => undefined);
      if (client?.usable) return existing;
      this.drop(session.sessionId, existing);
    }
    const entry: Entry = {
      address: session.address,
      memo: new Map(),
      client: this.options
        .credentials()
        .then((master) => openImap(this.options.endpoint(), master, session.address)),
    };
    this.entries.set(session.sessionId, entry);
    try {
      const client = await entry.client;
      client.on('close', () => {
        if (this.entries.get(session.sessionId) === entry) this.drop(session.sessionId, entry);
      });
    } catch (e) {
      this.drop(session.sessionId, entry);
      throw e;
    }
    return entry;
  }

  private touch(sessionId: string, entry: Entry): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => void this.close(sessionId), this.options.idleMs);
    entry.timer.unref();
  }

  private drop(sessionId: string, entry: Entry): void {
    clearTimeout(entry.timer);
    if (this.entries.get(sessionId) === entry) this.entries.delete(sessionId);
  }

  /** Logs the session's connection out (logout, idle). */
  async close(sessionId: string): Promise<void> {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.drop(sessionId, entry);
    const client = await entry.client.catch(() => undefined);
    if (client) await logoutOrClose(client);
  }

  /** Logs out the connections of these mailboxes, whichever sessions opened them (suspension). */
  async closeMailboxes(addresses: ReadonlySet<string>): Promise<void> {
    const ids = [...this.entries].filter(([, e]) => addresses.has(e.address)).map(([id]) => id);
    await Promise.all(ids.map((id) => this.close(id)));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.close(id)));
  }

  get size(): number {
    return this.entries.size;
  }
}
