import type { Knex } from 'knex';
import type { Actor } from './auth/actor';
import type { Config } from './config';
import type { Db } from './db/knex';
import type { DnsResolver } from './dns/resolver';
import type { Keyring } from './encryption/master-key';

/**
 * The contexts every layer is given (docs/architecture.md, "Contexts"). This module holds
 * types only, so any layer may import it without importing what the types describe.
 */

/** Sends one e-mail; injected so tests capture notices instead of sending them. */
export interface Notifier {
  send(message: { from: string; to: string[]; subject: string; text: string }): Promise<void>;
}

/** What a third-party web server answered (see RemoteHttp). */
export interface RemoteResponse {
  status: number;
  /** The media type, lowercased, without parameters ('' when absent). */
  contentType: string;
  body: Buffer;
}

/**
 * Fetches from third-party web servers on a person's behalf (another domain's Web Key
 * Directory, a remote image the webmail reader asked for); injected so tests stand a local
 * server in for the internet. The default refuses private and loopback addresses.
 */
export interface RemoteHttp {
  get(url: URL, options: { maxBytes: number; timeoutMs: number; accept: string }): Promise<RemoteResponse>;
}

/**
 * Ends the open sessions of mailboxes at Dovecot (IMAP, ManageSieve, the webmail's own IMAP
 * connections): a next hop, injected so tests can stand in a Dovecot that does not answer.
 * Resolves once Dovecot said it did; throws otherwise.
 */
export interface SessionKicker {
  kick(addresses: string[]): Promise<void>;
}

/**
 * What a service is given: the database handle its caller chose (a transaction for a change,
 * the pool for a read), the clock, settings and secrets. Services never open a transaction.
 */
export interface ServiceContext {
  db: Db;
  config: Config;
  keyring: Keyring;
  /** The one clock: injected so tests can move time (session expiry, DKIM rotation, throttling). */
  now: () => Date;
  /** DNS resolver for checks; built from config.dnsServers when absent. */
  resolver?: DnsResolver;
  /** Sends notices by e-mail; an SMTP transport to config.notifySmtp when absent. */
  notifier?: Notifier;
  /** Third-party HTTP (remote WKD, the webmail's image proxy); src/mail/remote-http.ts when absent. */
  remoteHttp?: RemoteHttp;
  /** Ends mailboxes' open sessions at Dovecot; its doveadm HTTP API (src/mailstack/doveadm-api.ts) when absent. */
  sessionKicker?: SessionKicker;
}

/** A service context with the actor it acts for: what commands and actor-scoped reads take. */
export interface CommandContext extends ServiceContext {
  actor: Actor;
}

/**
 * The long-lived context of the process (`giroflee serve`, one CLI run, a test file): the pool
 * itself. Callers (routes, CLI commands, jobs) derive service contexts from it, opening a
 * transaction around each change.
 */
export interface AppContext extends ServiceContext {
  db: Knex;
}
