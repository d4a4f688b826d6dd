import pino from 'pino';

/**
 * One logger for the whole process. Paths that could carry secrets or client addresses are
 * redacted: the operators asked that no IP address be stored anywhere.
 */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: undefined,
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
});

export type Logger = typeof logger;
