import type { AddressInfo, Socket } from 'node:net';
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

/**
 * smtp-server writes every reply with its own write(2). Postfix pipelines its commands (RFC 2920:
 * XFORWARD twice, MAIL, RCPT and DATA in one packet), so each message cost five system calls and
 * five wake-ups of the Postfix process where one does. Replies written in one turn of the event
 * loop now leave together: the socket is corked at the first one and uncorked once the code that
 * wrote it has run. Nothing waits for a timer; `end()` flushes what is corked.
 */
export function coalesceWrites(socket: Socket): void {
  const write = socket.write as (...args: unknown[]) => boolean;
  let corked = false;
  const flush = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(flush);
    }
    return write.apply(socket, args);
  }) as Socket['write'];
}

/** Listens on `at` (port 0: any free port) and returns the port and the graceful stop. */
export async function listen(server: SMTPServer, at: Endpoint, what: string): Promise<RunningServer> {
  // Runs right after smtp-server's own listener, before anything is written to the socket.
  server.server.on('connection', coalesceWrites);
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
