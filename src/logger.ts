import { isIP } from 'node:net';
import pino, { type LoggerOptions } from 'pino';

/** A run of the characters an IP address is written with, perhaps in brackets, perhaps with a port. */
const ADDRESS_LIKE = /\[?[0-9A-Fa-f:.]{3,}\]?(?::\d+)?/g;

function isAddress(token: string): boolean {
  if (isIP(token)) return true;
  const hostPort = /^\[?(.+?)\]?:\d+$/.exec(token);
  return hostPort !== null && isIP(hostPort[1]) !== 0;
}

/**
 * The text with every IP address (and its port) replaced: a socket error says
 * `connect ECONNREFUSED 127.0.0.1:1143`, and the operators asked that no IP address be stored.
 */
export function withoutAddresses(text: string): string {
  return text.replace(ADDRESS_LIKE, (token) => {
    const trimmed = token.replace(/\.+$/, '');
    return isAddress(trimmed) ? `[address]${token.slice(trimmed.length)}` : token;
  });
}

function scrubbed(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return withoutAddresses(value);
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => scrubbed(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubbed(v, depth + 1)]));
}

/** Exported for the tests, which write through the same options to a stream they read. */
export const loggerOptions: LoggerOptions = {
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: undefined,
  // Node's socket errors carry the peer in their message, stack and `address`.
  serializers: { err: (e: unknown) => scrubbed(pino.stdSerializers.err(e as Error)) },
  redact: {
    paths: [
      'password',
      '*.password',
      'token',
      '*.token',
      'secret',
      '*.secret',
      'ip',
      '*.ip',
      'remoteAddress',
      '*.remoteAddress',
      'req.headers.cookie',
      'req.headers.authorization',
    ],
    remove: true,
  },
};

/**
 * One logger for the whole process. Paths that could carry secrets or client addresses are
 * redacted, and addresses in logged errors replaced: the operators asked that no IP address be
 * stored anywhere.
 */
export const logger = pino(loggerOptions);

export type Logger = typeof logger;
