import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A fake downstream LMTP server standing in for Dovecot in protocol tests (the real Dovecot
 * test uses the mail stack). The local part decides its answer: `refuse…` is refused at RCPT,
 * `full…` after DATA (452, mailbox full), `hang…` never gets a reply to DATA, `slow…` gets it
 * when the test calls `releaseSlow()`; anyone else is stored in `stored`.
 */
export async function startFakeDownstream(port = 0) {
  const stored: Array<{ rcpt: string; from: string; message: Buffer }> = [];
  let connections = 0;
  const slow: Array<() => void> = [];
  const server = new SMTPServer({
    lmtp: true,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    hideENHANCEDSTATUSCODES: true,
    disableReverseLookup: true,
    logger: false,
    onConnect(_s, cb) {
      connections++;
      cb();
    },
    onRcptTo(address, _s, cb) {
      if (address.address.startsWith('refuse'))
        return cb(
          Object.assign(new Error('5.1.1 <' + address.address + "> User doesn't exist"), {
            responseCode: 550,
          }),
        );
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const rcpts = session.envelope.rcptTo.map((r) => r.address);
        if (rcpts.some((r) => r.startsWith('hang'))) return;
        const message = Buffer.concat(chunks);
        if (rcpts.some((r) => r.startsWith('slow'))) {
          slow.push(() => {
            for (const rcpt of rcpts) stored.push({ rcpt, from: '', message });
            cb(null, rcpts.map((r) => `2.0.0 <${r}> Saved`) as unknown as string);
          });
          return;
        }
        const replies = rcpts.map((rcpt) => {
          if (rcpt.startsWith('full'))
            return Object.assign(new Error('4.2.2 Mailbox is full'), { responseCode: 452 });
          stored.push({
            rcpt,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            message,
          });
          return `2.0.0 <${rcpt}> Saved`;
        });
        cb(null, replies as unknown as string);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    stored,
    connections: () => connections,
    waitingSlow: () => slow.length,
    releaseSlow: () => slow.splice(0).forEach((f) => f()),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of (server as unknown as { connections: Set<{ close(): void }> }).connections) c.close();
        server.close(() => resolve());
      }),
  };
}

/**
 * A raw LMTP client: sends one transaction and returns every reply line after DATA's 354, so
 * a test sees exactly how many replies came and in which order.
 */
export async function lmtpTransaction(
  port: number,
  from: string,
  rcpts: string[],
  message: Buffer,
  opts: { size?: number } = {},
): Promise<{ rcptReplies: string[]; dataReplies: string[]; mailReply: string; quitReply: string }> {
  const socket = net.connect(port, '127.0.0.1');
  let buffer = '';
  const waiters: Array<() => void> = [];
  let failure: Error | undefined;
  socket.on('data', (d) => {
    buffer += d.toString('latin1');
    waiters.splice(0).forEach((w) => w());
  });
  // A refused or reset connection fails the transaction instead of crashing the test run.
  socket.on('error', (e) => {
    failure = e;
    waiters.splice(0).forEach((w) => w());
  });
  /** The next complete reply (multi-line replies joined). */
  const reply = async (): Promise<string> => {
    for (;;) {
      const m = /^((?:\d{3}-[^\r\n]*\r\n)*\d{3} [^\r\n]*)\r\n/.exec(buffer);
      if (m) {
        buffer = buffer.slice(m[0].length);
        return m[1];
      }
      if (failure) throw failure;
      await new Promise<void>((resolve, reject) => {
        waiters.push(resolve);
        socket.once('close', () => reject(new Error(`connection closed; buffer: ${buffer}`)));
      });
    }
  };
  const send = (line: string) => socket.write(line + '\r\n');
  await reply();
  send('LHLO test.example');
  await reply();
  send(`MAIL FROM:<${from}>${opts.size ? ` SIZE=${opts.size}` : ''}`);
  const mailReply = await reply();
  const rcptReplies: string[] = [];
  const dataReplies: string[] = [];
  if (mailReply.startsWith('250')) {
    for (const r of rcpts) {
      send(`RCPT TO:<${r}>`);
      rcptReplies.push(await reply());
    }
    send('DATA');
    const go = await reply();
    if (go.startsWith('354')) {
      // RFC 5321 §4.5.2: dot-stuffing.
      socket.write(Buffer.concat([Buffer.from(message.toString('latin1').replace(/^\./gm, '..'), 'latin1')]));
      if (!message.subarray(-2).equals(Buffer.from('\r\n'))) socket.write('\r\n');
      socket.write('.\r\n');
      const accepted = rcptReplies.filter((r) => r.startsWith('250')).length;
      for (let i = 0; i < accepted; i++) dataReplies.push(await reply());
    }
  }
  // The reply after QUIT must be QUIT's own: one more DATA reply than RCPTs would show here.
  send('QUIT');
  const quitReply = await reply();
  socket.end();
  return { rcptReplies, dataReplies, mailReply, quitReply };
}

/**
 * A scripted LMTP server (RFC 2033) offering PIPELINING and CHUNKING as Dovecot does, to replay
 * what a real one does at awkward moments. It answers as Dovecot 2.3.19 was seen to: a `refuse…`
 * local part is refused at RCPT (550 5.1.1); after a refused MAIL each RCPT and BDAT gets
 * `503 5.5.0 MAIL needed first`; a chunk with no accepted RCPT is read, discarded and answered
 * once (`503 5.5.0 No valid recipients`), and the transaction then wants RSET (another MAIL gets
 * `503 5.5.0 MAIL already given`); LAST gets one reply per accepted RCPT.
 *
 * `script.mail(connection, transaction)` and `script.rcpt(connection, transaction, address)` may
 * answer in its place (a 421 closes the connection after it, unread input discarded);
 * `script.data(connection, transaction)` returning `drop` stores the message and closes the
 * connection without a reply, as a server dying just after storing would; `script.idle(connection,
 * socket)` runs once a transaction is answered, e.g. to send a reply nobody asked for. Stored
 * messages are kept with their connection's number; a transaction counts when its message is.
 */
export async function startScriptedLmtp(
  script: {
    mail?: (connection: number, transaction: number) => string | undefined;
    rcpt?: (connection: number, transaction: number, address: string) => string | undefined;
    data?: (connection: number, transaction: number) => 'drop' | undefined;
    idle?: (connection: number, socket: net.Socket) => void;
  } = {},
) {
  const stored: Array<{ connection: number; rcpt: string; message: Buffer }> = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let closed = 0;
  const server = net.createServer((socket) => {
    const connection = connections++;
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      closed++;
    });
    socket.on('error', () => socket.destroy());
    let input = Buffer.alloc(0);
    let mail = false;
    let rcpts: string[] = [];
    let chunks: Buffer[] = [];
    let transactions = 0;
    // Bytes of the current BDAT chunk still to come, whether it is the last one, and the
    // refusal it gets once read.
    let want = 0;
    let last = false;
    let refusal: string | undefined;
    // Once it has said its last word, it reads nothing more.
    let over = false;
    const hangUp = (text: string) => {
      over = true;
      socket.end(text);
    };
    const reset = () => {
      [mail, rcpts, chunks] = [false, [], []];
    };
    /** Answers a chunk read whole; false when the connection is gone. */
    const chunkRead = (): boolean => {
      if (refusal) {
        socket.write(`${refusal}\r\n`);
        [refusal, chunks] = [undefined, []];
        return true;
      }
      if (!last) {
        socket.write('250 2.0.0 chunk\r\n');
        return true;
      }
      const message = Buffer.concat(chunks);
      for (const rcpt of rcpts) stored.push({ connection, rcpt, message });
      if (script.data?.(connection, transactions) === 'drop') {
        over = true;
        socket.destroy();
        return false;
      }
      const replies = rcpts.map((r) => `250 2.0.0 <${r}> Saved\r\n`).join('');
      reset();
      transactions++;
      socket.write(replies, () => setImmediate(() => script.idle?.(connection, socket)));
      return true;
    };
    socket.write('220 scripted LMTP\r\n');
    socket.on('data', (data: Buffer) => {
      if (over) return;
      input = Buffer.concat([input, data]);
      for (;;) {
        if (want > 0) {
          const n = Math.min(want, input.length);
          if (!refusal) chunks.push(input.subarray(0, n));
          input = input.subarray(n);
          want -= n;
          if (want > 0 || !chunkRead()) return;
          continue;
        }
        const nl = input.indexOf(0x0a);
        if (nl < 0) return;
        const line = input.subarray(0, nl).toString('latin1').trim();
        input = input.subarray(nl + 1);
        const [verb, size, lastWord] = line.split(' ');
        switch (verb.toUpperCase()) {
          case 'LHLO':
            socket.write('250-scripted\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n');
            break;
          case 'MAIL': {
            if (mail) {
              socket.write('503 5.5.0 MAIL already given\r\n');
              break;
            }
            const answer = script.mail?.(connection, transactions);
            if (answer?.startsWith('421')) return void hangUp(`${answer}\r\n`);
            mail = answer === undefined;
            socket.write(`${answer ?? '250 2.1.0 OK'}\r\n`);
            break;
          }
          case 'RCPT': {
            if (!mail) {
              socket.write('503 5.5.0 MAIL needed first\r\n');
              break;
            }
            const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
            const answer = script.rcpt?.(connection, transactions, address);
            if (answer?.startsWith('421')) return void hangUp(`${answer}\r\n`);
            if (answer === undefined && address.startsWith('refuse'))
              socket.write(`550 5.1.1 <${address}> User doesn't exist\r\n`);
            else if (answer !== undefined) socket.write(`${answer}\r\n`);
            else {
              rcpts.push(address);
              socket.write('250 2.1.5 OK\r\n');
            }
            break;
          }
          case 'RSET':
            reset();
            socket.write('250 2.0.0 OK\r\n');
            break;
          case 'BDAT':
            want = Number(size);
            last = lastWord?.toUpperCase() === 'LAST';
            refusal = !mail
              ? '503 5.5.0 MAIL needed first'
              : rcpts.length === 0
                ? '503 5.5.0 No valid recipients'
                : undefined;
            if (want === 0 && !chunkRead()) return;
            break;
          case 'QUIT':
            return void hangUp('221 2.0.0 Bye\r\n');
          default:
            socket.write('500 5.5.1 unknown command\r\n');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stored,
    connections: () => connections,
    closed: () => closed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
