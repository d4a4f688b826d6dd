import type { Knex } from 'knex';
import type { Config } from './config';
import type { Keyring } from './encryption/master-key';

/** What every service, route and job is given: state, settings, secrets and the clock. */
export interface AppContext {
  db: Knex;
  config: Config;
  keyring: Keyring;
  /** Injected so tests can move time (session expiry, DKIM rotation, throttling). */
  now: () => Date;
}
