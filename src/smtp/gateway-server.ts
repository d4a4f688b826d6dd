import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { Endpoint } from '../config';
import { logger } from '../logger';

export interface GatewayServerOptions {
  /** LMTP (RFC 2033) instead of SMTP. */
  lmtp?: boolean;
  /** Name in the greeting. */
  name: string;
  banner: string;
  maxMessageBytes: number;
  /**
   * Socket inactivity timeout, and how long a stop waits for transactions in flight before it
   * answers 421 to what is left.
   */
  timeoutMs: number;
}

export interface RunningServer {
  port: number;
  /**
   * Graceful stop: new connections are refused at once; a session's next command is answered
   * `421` (so Postfix's cached idle connections go away); transactions in flight end with their
   * own replies; after the timeout whatever remains gets `421` and is closed.
   */
  stop(): Promise<void>;
}

/**
 * The smtp-server settings every gateway shares. Only Postfix on loopback talks to a gateway: no
 * AUTH, no STARTTLS, never a reverse lookup, no logging of peers.
 */
export function gatewayServerOptions(o: GatewayServerOptions): SMTPServerOptions {
  return {
    lmtp: o.lmtp ?? false,
    name: o.name,
    banner: o.banner,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    disableReverseLookup: true,
    size: o.maxMessageBytes,
    logger: false,
    socketTimeout: o.timeoutMs,
    closeTimeout: o.timeoutMs,
  };
}

/** Listens on `at` (port 0: any free port) and returns the port and the graceful stop. */
export async function listen(server: SMTPServer, at: Endpoint, what: string): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => logger.error({ err: e }, `${what}: server error`));
  return {
    port: (server.server.address() as AddressInfo).port,
    // smtp-server's close() is that graceful stop: it answers any command after it with 421 and
    // closes what is left once `closeTimeout` has passed.
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
