import { loadConfig, Config } from '../../src/config';
import type { AppContext } from '../../src/context';
import { Keyring } from '../../src/encryption/master-key';
import { createTestDatabase } from './db';

/** A movable clock for tests: `clock.now()` and `clock.advance(ms)`. */
export function testClock(start = new Date('2026-11-21T10:00:00Z')) {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
    set: (d: Date) => {
      t = d.getTime();
    },
  };
}

export interface TestContext extends AppContext {
  clock: ReturnType<typeof testClock>;
  /** The test database's URL, for real Postfix and Dovecot to read the `mta` views. */
  databaseUrl: string;
  destroy(): Promise<void>;
}

/** Settings for a test context: a few fields, or a function of the test defaults. */
export type ConfigOverrides = Partial<Config> | ((defaults: Config) => Partial<Config>);

/** A context on a fresh database, with an in-memory keyring and a test clock. */
export async function createTestContext(overrides: ConfigOverrides = {}): Promise<TestContext> {
  const t = await createTestDatabase();
  const clock = testClock();
  const defaults = loadConfig({ NODE_ENV: 'test', GIROFLEE_DATA_DIR: '/nonexistent-giroflee-test' });
  const config: Config = {
    ...defaults,
    ...(typeof overrides === 'function' ? overrides(defaults) : overrides),
  };
  return {
    db: t.db,
    config,
    keyring: new Keyring([Keyring.generateKey()]),
    now: clock.now,
    clock,
    databaseUrl: t.url,
    destroy: t.destroy,
  };
}
