import type { Knex } from 'knex';
import type { Config } from './config';
import type { DnsResolver } from './dns/resolver';
import type { Keyring } from './encryption/master-key';
import type { Notifier } from './notify/send-notice';

/** What every service, route and job is given: state, settings, secrets and the clock. */
export interface AppContext {
  db: Knex;
  config: Config;
  keyring: Keyring;
  /** Injected so tests can move time (session expiry, DKIM rotation, throttling). */
  now: () => Date;
  /** DNS resolver for checks; built from config.dnsServers when absent. */
  resolver?: DnsResolver;
  /** Sends notices by e-mail; an SMTP transport to config.notifySmtp when absent. */
  notifier?: Notifier;
}
