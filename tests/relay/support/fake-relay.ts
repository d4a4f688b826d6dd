import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  from: string;
  to: string[];
  raw: string;
}

export interface FakeRelay {
  port: number;
  received: Received[];
  /** Connections accepted (a breaker that is open makes none). */
  connections: number;
  /** null: accept; otherwise the reply to DATA, e.g. [451, '4.3.0 busy']. */
  dataReply: [number, string] | null;
  /** Recipients refused at RCPT, with their reply. */
  refuse: Map<string, [number, string]>;
  stop(): Promise<void>;
}

class Reply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A local smtp-server standing in for a remote relay (a third party). */
export async function startFakeRelay(opts: { users?: Record<string, string> } = {}): Promise<FakeRelay> {
  const relay: FakeRelay = {
    port: 0,
    received: [],
    connections: 0,
    dataReply: null,
    refuse: new Map(),
    stop: async () => undefined,
  };
  const server = new SMTPServer({
    disabledCommands: opts.users ? ['STARTTLS'] : ['AUTH', 'STARTTLS'],
    allowInsecureAuth: true,
    authOptional: !opts.users,
    disableReverseLookup: true,
    logger: false,
    onConnect(_session, cb) {
      relay.connections += 1;
      cb();
    },
    onAuth(auth, _session, cb) {
      if (opts.users && opts.users[auth.username ?? ''] === auth.password)
        return cb(null, { user: auth.username });
      cb(new Reply(535, '5.7.8 bad credentials'));
    },
    onRcptTo(address, _session, cb) {
      const refusal = relay.refuse.get(address.address);
      if (refusal) return cb(new Reply(refusal[0], refusal[1]));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (relay.dataReply) return cb(new Reply(relay.dataReply[0], relay.dataReply[1]));
        relay.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb(null, 'queued as FAKE');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.port = (server.server.address() as AddressInfo).port;
  relay.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return relay;
}

/** A loopback port on which nothing listens: connections are refused. */
export async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Accepts TCP connections and never greets: a relay that hangs. */
export async function startSilentServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    port: (s.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        s.close(() => resolve());
      }),
  };
}
