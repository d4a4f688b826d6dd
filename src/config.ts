import path from 'node:path';
import { z } from 'zod';

/** A `host:port` pair on which a service listens or which it calls. */
export interface Endpoint {
  host: string;
  port: number;
}

export function parseEndpoint(value: string, defaultPort: number): Endpoint {
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(value.trim());
  if (!match) throw new Error(`invalid host:port "${value}"`);
  return { host: match[1], port: match[2] ? Number(match[2]) : defaultPort };
}

const envSchema = z.object({
  GIROFLEE_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().optional(),
  GIROFLEE_HTTP: z.string().default('127.0.0.1:8080'),
  GIROFLEE_LMTP: z.string().default('127.0.0.1:10024'),
  GIROFLEE_OUTBOUND: z.string().default('127.0.0.1:10025'),
  GIROFLEE_REINJECT: z.string().default('127.0.0.1:10026'),
  GIROFLEE_DOVECOT_LMTP: z.string().default('127.0.0.1:2424'),
  GIROFLEE_DNS_ZONE_LISTEN: z.string().default('127.0.0.1:5300'),
  GIROFLEE_DNS_SERVERS: z.string().optional(),
  GIROFLEE_MASTER_KEY_FILE: z.string().optional(),
  GIROFLEE_PLATFORM_HOSTNAME: z.string().default('mail.giroflee.test'),
  GIROFLEE_MAILSTACK: z.enum(['0', '1']).default('0'),
  GIROFLEE_SESSION_HOURS: z.coerce.number().positive().default(12),
  GIROFLEE_SECURE_COOKIES: z.enum(['0', '1']).default('0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('production'),
});

export interface Config {
  dataDir: string;
  databaseUrl?: string;
  http: Endpoint;
  lmtp: Endpoint;
  outbound: Endpoint;
  reinject: Endpoint;
  dovecotLmtp: Endpoint;
  dnsZoneListen: Endpoint;
  /** Resolvers used by DNS checks; undefined means the system's. */
  dnsServers?: Endpoint[];
  masterKeyFile: string;
  platformHostname: string;
  mailstack: boolean;
  sessionHours: number;
  secureCookies: boolean;
  logLevel: string;
  development: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = envSchema.parse(env);
  const dataDir = path.resolve(e.GIROFLEE_DATA_DIR);
  return {
    dataDir,
    databaseUrl: e.DATABASE_URL || undefined,
    http: parseEndpoint(e.GIROFLEE_HTTP, 8080),
    lmtp: parseEndpoint(e.GIROFLEE_LMTP, 10024),
    outbound: parseEndpoint(e.GIROFLEE_OUTBOUND, 10025),
    reinject: parseEndpoint(e.GIROFLEE_REINJECT, 10026),
    dovecotLmtp: parseEndpoint(e.GIROFLEE_DOVECOT_LMTP, 2424),
    dnsZoneListen: parseEndpoint(e.GIROFLEE_DNS_ZONE_LISTEN, 5300),
    dnsServers: e.GIROFLEE_DNS_SERVERS
      ? e.GIROFLEE_DNS_SERVERS.split(',').map((s) => parseEndpoint(s, 53))
      : undefined,
    masterKeyFile: path.resolve(e.GIROFLEE_MASTER_KEY_FILE ?? path.join(dataDir, 'master.key')),
    platformHostname: e.GIROFLEE_PLATFORM_HOSTNAME,
    mailstack: e.GIROFLEE_MAILSTACK === '1',
    sessionHours: e.GIROFLEE_SESSION_HOURS,
    secureCookies: e.GIROFLEE_SECURE_COOKIES === '1',
    logLevel: e.LOG_LEVEL,
    development: e.NODE_ENV === 'development' || e.NODE_ENV === 'test',
  };
}
