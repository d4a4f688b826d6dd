import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Endpoint } from '../config';
import { logger } from '../logger';

/** One request of Postfix's policy delegation protocol: its `name=value` attributes. */
export type PolicyRequest = Record<string, string>;

export interface RunningPolicyServer {
  port: number;
  stop(): Promise<void>;
}

/** Longest request we read: Postfix's attributes are short; anything longer is not Postfix. */
const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * A Postfix policy service (SMTPD_POLICY_README, "Policy protocol description"): Postfix writes
 * `name=value` lines ended by an empty line, and reads back `action=…` and an empty line, several
 * requests per connection. `decide` returns the action (an access(5) result: `DUNNO`, `450 4.7.1
 * text`…). When it throws, the answer is a 451: Postfix keeps the client's message for a retry
 * rather than let it through unchecked.
 */
export async function startPolicyServer(
  listen: Endpoint,
  decide: (request: PolicyRequest) => Promise<string>,
): Promise<RunningPolicyServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = '';
    let queue = Promise.resolve();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_REQUEST_BYTES) return socket.destroy();
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const request: PolicyRequest = {};
        for (const line of block.split('\n')) {
          const eq = line.indexOf('=');
          if (eq > 0) request[line.slice(0, eq)] = line.slice(eq + 1);
        }
        // Answers go back in the order the requests came.
        queue = queue.then(async () => {
          let action: string;
          try {
            action = await decide(request);
          } catch (err) {
            logger.error({ err }, 'policy service: request failed');
            action = '451 4.3.0 Temporary policy failure, try again later';
          }
          if (!socket.destroyed) socket.write(`action=${action.replace(/[\r\n]/g, ' ')}\n\n`);
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
