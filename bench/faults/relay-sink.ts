/**
 * A remote relay (a third party) for the relay-flap fault: an SMTP server on loopback that
 * accepts every message and remembers its Message-ID, and that can go down (its port refuses
 * connections and the connections it holds are cut, as when a relay's host dies) and come back
 * on the same port.
 */
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

// The header may be folded (RFC 5322 §2.2.3): nodemailer folds a long Message-ID onto a new line.
const MESSAGE_ID = /^Message-ID:\s*(<[^>]*>)/im;

export class RelaySink {
  /** Message-ID of every message accepted, in arrival order (a duplicate appears twice). */
  readonly received: string[] = [];
  /** When the last message was accepted (Date.now()). */
  lastReceivedAt = 0;
  port = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server: SMTPServer;
  private listening = false;

  constructor() {
    this.server = new SMTPServer({
      disabledCommands: ['AUTH', 'STARTTLS'],
      authOptional: true,
      disableReverseLookup: true,
      logger: false,
      size: 128 * 1024 * 1024,
      onData: (stream, _session, cb) => {
        let head = '';
        stream.on('data', (chunk: Buffer) => {
          if (!head.includes('\r\n\r\n') && head.length < 64 * 1024) head += chunk.toString('latin1');
        });
        stream.on('end', () => {
          const id = MESSAGE_ID.exec(head.split('\r\n\r\n')[0])?.[1] ?? '';
          this.received.push(id);
          this.lastReceivedAt = Date.now();
          cb(null, 'queued by the relay sink');
        });
      },
    });
    this.server.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens on `port` (a free one when 0); `up()` after `down()` reuses the same. */
  async up(port = this.port): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.server.listen(port, '127.0.0.1', () => {
        this.server.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    this.listening = true;
  }

  /** Refuses new connections and cuts the open ones, mid-transaction or not. */
  async down(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  stop(): Promise<void> {
    return this.down();
  }
}
