import type { Config } from './config';

/**
 * `make(config)` once per configuration object. Contexts derived per request or per transaction
 * share their AppContext's config, so what this makes (a resolver, an SMTP transport) is shared too.
 */
export function perConfig<T>(make: (config: Config) => T): (config: Config) => T {
  const made = new WeakMap<Config, T>();
  return (config) => {
    let value = made.get(config);
    if (value === undefined) {
      value = make(config);
      made.set(config, value);
    }
    return value;
  };
}
