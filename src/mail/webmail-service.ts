import type { Config } from '../config';
import type { AppContext, ServiceContext } from '../context';
import { webmailMasterCredentials, type MasterCredentials } from '../mailstack/master-user';
import { logger } from '../logger';
import { ImapPool, imapFailure, type MailSession } from './imap-pool';
import { folderUids, inFolder } from './mail-store';

/** What the webmail keeps per running app: the master credentials and the sessions' IMAP connections. */
export interface Webmail {
  master(): Promise<MasterCredentials>;
  pool: ImapPool;
  /** Open push streams (their stop, and the mailbox they watch), closed with the app. */
  streams: Map<() => Promise<void>, string>;
}

/**
 * Keyed by the config object, which every context derived from the app shares (a route's
 * transaction context included), so logout finds the connections the app opened.
 */
const running = new WeakMap<Config, Webmail>();

export function webmailOf(ctx: AppContext): Webmail {
  let w = running.get(ctx.config);
  if (!w) {
    let master: Promise<MasterCredentials> | undefined;
    const credentials = () => {
      master ??= webmailMasterCredentials(ctx).catch((e) => {
        master = undefined;
        throw e;
      });
      return master;
    };
    w = {
      master: credentials,
      pool: new ImapPool({
        endpoint: () => ctx.config.webmail.imap,
        credentials,
        idleMs: ctx.config.webmail.idleMs,
      }),
      streams: new Map(),
    };
    running.set(ctx.config, w);
  }
  return w;
}

/** Logs out every IMAP connection and ends every push stream (server shutdown, test teardown). */
export async function closeWebmail(ctx: ServiceContext): Promise<void> {
  const w = running.get(ctx.config);
  if (!w) return;
  await Promise.all([...w.streams.keys()].map((stop) => stop()));
  await w.pool.closeAll();
}

/** The session ended: its IMAP connection goes with it. */
export async function endWebmailSession(ctx: ServiceContext, sessionId: string): Promise<void> {
  await running.get(ctx.config)?.pool.close(sessionId);
}

/**
 * The mailboxes were suspended: this copy of giroflee logs out their IMAP connections and ends
 * their push streams. Dovecot's kick ends them on every copy; this one does not wait for it.
 */
export async function endWebmailMailboxes(ctx: ServiceContext, addresses: string[]): Promise<void> {
  const w = running.get(ctx.config);
  if (!w || addresses.length === 0) return;
  const set = new Set(addresses);
  const stops = [...w.streams].filter(([, address]) => set.has(address)).map(([stop]) => stop());
  await Promise.all([...stops, w.pool.closeMailboxes(set)]);
}

/**
 * A mailbox just logged in: its IMAP connection opens now, and the inbox is sorted by date, while
 * the browser derives the key from the password (seconds). The first page then only fetches its
 * summaries. Nothing waits on it; a failure is met again, and reported, by the first page.
 */
export function warmWebmailSession(ctx: AppContext, session: MailSession): void {
  void webmailOf(ctx)
    .pool.use(session, (client, memo) => inFolder(client, 'INBOX', () => folderUids(client, memo, 'date')))
    .catch((e: unknown) => logger.debug(imapFailure(e), 'webmail warm-up failed'));
}
