/**
 * The next hop of bench/encrypt's gateway part: an LMTP server (RFC 2033) that accepts every
 * recipient and discards every message, spending as little CPU as it can so that the gateway's
 * own cost shows. It offers PIPELINING and, unless `chunking` is false, CHUNKING (RFC 3030) as
 * Dovecot does, so the gateway's BDAT and DATA paths can both be measured.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

const END_OF_DATA = Buffer.from('\r\n.\r\n');

export async function startDiscardingLmtp(
  chunking: boolean,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  // Replies go out at once, as Dovecot's do (strace: its LMTP pushes each flush with TCP_NODELAY
  // set then cleared, and sets TCP_QUICKACK). With Nagle's algorithm on, the reply to LAST waited
  // for the client's delayed ACK of the envelope's replies sent just before: 40 ms a message.
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let input: Buffer = Buffer.alloc(0);
    let rcpts = 0;
    // Bytes of a BDAT chunk still to skip, then whether it was the LAST one; or inside DATA.
    let skip = 0;
    let last = false;
    let inData = false;
    const saved = () => Array.from({ length: rcpts }, () => '250 2.0.0 Saved\r\n').join('');
    socket.write('220 discarding LMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      input = input.length ? Buffer.concat([input, chunk]) : chunk;
      let out = '';
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, input.length);
          skip -= n;
          input = input.subarray(n);
          if (skip > 0) break;
          out += last ? saved() : '250 2.0.0 chunk\r\n';
          if (last) rcpts = 0;
          continue;
        }
        if (inData) {
          const end = input.indexOf(END_OF_DATA);
          if (end < 0) {
            input = input.subarray(Math.max(0, input.length - END_OF_DATA.length));
            break;
          }
          input = input.subarray(end + END_OF_DATA.length);
          inData = false;
          out += saved();
          rcpts = 0;
          continue;
        }
        const nl = input.indexOf(0x0a);
        if (nl < 0) break;
        const line = input.subarray(0, nl).toString('latin1').trim();
        input = input.subarray(nl + 1);
        const [verb, size, lastWord] = line.split(' ');
        switch (verb.toUpperCase()) {
          case 'LHLO':
            out += `250-discarding\r\n250-PIPELINING\r\n${chunking ? '250-CHUNKING\r\n' : ''}250 8BITMIME\r\n`;
            break;
          case 'MAIL':
          case 'RSET':
            rcpts = 0;
            out += '250 2.1.0 OK\r\n';
            break;
          case 'RCPT':
            rcpts++;
            out += '250 2.1.5 OK\r\n';
            break;
          case 'DATA':
            inData = true;
            // The body may start right after, in the same packet: the loop goes on.
            input = Buffer.concat([Buffer.from('\r\n'), input]);
            out += '354 go on\r\n';
            break;
          case 'BDAT':
            skip = Number(size);
            last = lastWord?.toUpperCase() === 'LAST';
            if (skip === 0) {
              out += last ? saved() : '250 2.0.0 chunk\r\n';
              if (last) rcpts = 0;
            }
            break;
          case 'QUIT':
            socket.end('221 bye\r\n');
            return;
          default:
            out += '500 5.5.1 unknown command\r\n';
        }
      }
      if (out) socket.write(out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
