import type { Config } from '../config';
import { mailstackDir } from '../mailstack/from-config';
import { PRODUCTION_PATHS, privatePaths } from '../mailstack/settings';

/** Dovecot's mail store: GIROFLEE_MAIL_ROOT, else the private stack's, else production's /var/vmail. */
export function mailRootOf(config: Config): string {
  if (config.monitor.mailRoot) return config.monitor.mailRoot;
  return config.mailstack ? privatePaths(mailstackDir(config)).mailRoot : PRODUCTION_PATHS.mailRoot;
}
