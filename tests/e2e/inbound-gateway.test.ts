import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type { Actor } from '../../src/auth/actor';
import { loadMailboxActor } from '../../src/auth/sessions';
import { LmtpClient } from '../../src/encryption/lmtp-client';
import { DELIVERY_HEADER, deliveryId } from '../../src/encryption/delivery-id';
import type { LmtpGateway } from '../../src/encryption/lmtp-gateway';
import { listMailboxKeys, provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { derivePassphrase, KdfParams } from '../../src/encryption/passphrase';
import { splitMessage } from '../../src/encryption/pgp-mime';
import { startDovecot, stopDovecot, waitForPort } from '../../src/mailstack/processes';
import { createTestContext, TestContext } from '../support/context';
import { makeCollective, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';
import { startTestApp, TestClient } from '../support/http';
import {
  explainMxFailure,
  retryQueueUntil,
  startEncryptingMailstack,
  TestMailstack,
  waitUntilDeferred,
} from '../support/mailstack';
import { armoredDataLength, armoredPart, decryptStored, unlockKey, withGpg } from '../support/openpgp';
import { REAL_STACK_TEST_MS, WAIT_MS, waitUntil } from '../support/wait-until';

jest.setTimeout(REAL_STACK_TEST_MS);

/** Every message of the mailbox's INBOX, as IMAP gives it (CRLF line ends). */
async function fetchAll(port: number, user: string): Promise<Buffer[]> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: false,
    auth: { user, pass: TEST_PASSWORD },
    logger: false,
  });
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      if (!client.mailbox || client.mailbox.exists === 0) return [];
      return (await client.fetchAll('1:*', { source: true })).map((m) => m.source!);
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

/**
 * The stack's MX as a sending server sees it: one connection a message, or a pool of four at
 * once as a busy server would open. A failed send says what Postfix was doing.
 */
function mx(stack: TestMailstack, pooled = false) {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: stack.ports.mx,
    secure: false,
    ignoreTLS: true,
    ...(pooled ? { pool: true, maxConnections: 4 } : {}),
  });
  return {
    sendMail: (message: Mail.Options) =>
      transport.sendMail(message).catch(async (e: Error) => {
        throw await explainMxFailure(stack, e);
      }),
    close: () => transport.close(),
  };
}

/** Postfix delivers after its 250: poll the mailbox until the message is there. */
const waitForMessage = (port: number, user: string): Promise<string> =>
  waitUntil(`a message for ${user}`, async () => (await fetchAll(port, user))[0]?.toString());

/** The message files Dovecot stored for a mailbox (new/ and cur/ of its Maildir). */
function storedFiles(mailRoot: string, address: string): Buffer[] {
  const [local, domain] = address.split('@');
  const maildir = path.join(mailRoot, domain, local, 'Maildir');
  return ['new', 'cur'].flatMap((sub) => {
    const dir = path.join(maildir, sub);
    return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f))) : [];
  });
}

const run = promisify(execFile);

/** The Message-ID of every message Dovecot stored for a mailbox (it stays in clear). */
function storedMessageIds(mailRoot: string, address: string): string[] {
  return storedFiles(mailRoot, address).map(
    (f) => /^Message-ID:\s*(\S+)/im.exec(f.toString('latin1'))?.[1] ?? '(none)',
  );
}

/**
 * A TCP hop between Postfix and the gateway that passes everything, except the first reply to
 * a message's data (RFC 5321 §4.1.1.4, the final dot): it cuts both connections instead, as a
 * gateway killed just after Dovecot stored the message would. Postfix never sees the 250 and
 * tries the same queue file again.
 */
async function startReplyCutter(
  target: number,
): Promise<{ port: number; cut: () => boolean; close(): void }> {
  let cut = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    }
    let sent = Buffer.alloc(0);
    let dataEnded = false;
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      // The last bytes of the previous chunk too: the final dot may straddle two.
      sent = Buffer.concat([sent.subarray(-4), chunk]);
      if (sent.includes('\r\n.\r\n')) dataEnded = true;
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!cut && dataEnded && /^2\d\d /m.test(chunk.toString('latin1'))) {
        cut = true;
        return end();
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => cut,
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * Postfix → encrypting gateway → Dovecot on the real stack: what Dovecot stores is PGP/MIME that
 * the mailbox password (through openpgp.js, and through GnuPG with the key exported by the API)
 * opens; a message that cannot be encrypted stays in Postfix's queue (451 4.7.0) and is
 * delivered, encrypted, once the mailbox has a key.
 */
describe('inbound mail through the encrypting gateway, on the real Postfix and Dovecot', () => {
  let ctx: TestContext;
  let client: TestClient;
  let gateway: LmtpGateway;
  let stack: TestMailstack;
  let domainId: string;

  const send = (to: string, text: string, subject = 'Réunion') =>
    mx(stack).sendMail({ from: 'alice@remote.example', to, subject, text });

  beforeAll(async () => {
    ctx = await createTestContext();
    client = await startTestApp(ctx);
    ({ gateway, stack } = await startEncryptingMailstack(ctx));
    const collective = await makeCollective(ctx);
    domainId = (await makeDomain(ctx, { collectiveId: collective.id })).id;
  });

  afterAll(async () => {
    await stack?.stop();
    await gateway?.stop();
    await client?.close();
    await ctx?.destroy();
  });

  it('stores PGP/MIME for a mailbox with a generated key; its password unlocks the original', async () => {
    const box = await makeMailbox(ctx, { domainId, encryptionMode: 'generated' });
    await provisionMailboxKeys(ctx, { id: box.id, address: box.address }, TEST_PASSWORD);
    const secret = 'Le code de la porte est 4827.';
    await send(box.address, secret, 'Confidentiel');

    const fetched = await waitForMessage(stack.ports.imap, box.address);
    expect(fetched).toMatch(/Content-Type: multipart\/encrypted;[\s\S]*application\/pgp-encrypted/i);
    expect(fetched).toContain('Subject: Confidentiel');
    expect(fetched).not.toContain(secret);
    const onDisk = storedFiles(stack.mailRoot, box.address);
    expect(onDisk).toHaveLength(1);
    expect(onDisk[0].toString('latin1')).not.toContain(secret);

    const [key] = await listMailboxKeys(ctx, box.id);
    const privateKey = await unlockKey(key.private_key!, TEST_PASSWORD, key.password_kdf!);
    expect((await decryptStored(fetched, privateKey)).toString('utf8')).toContain(secret);
  });

  it('stores a mailbox in mode none as it came', async () => {
    const box = await makeMailbox(ctx, { domainId, encryptionMode: 'none' });
    await send(box.address, 'en clair', 'Clair');
    const fetched = await waitForMessage(stack.ports.imap, box.address);
    expect(fetched).toContain('en clair');
    expect(fetched).not.toMatch(/multipart\/encrypted/i);
  });

  it('hands Dovecot each message with BDAT, which stores it byte for byte, whole or streamed in chunks', async () => {
    const box = await makeMailbox(ctx, { domainId, encryptionMode: 'none' });
    // What dot-stuffing would touch, a line that looks like a command, 8-bit text, and (streamed)
    // chunk edges inside lines.
    const message = (id: string, lines: number) =>
      Buffer.from(
        [
          `From: alice@remote.example`,
          `To: ${box.address}`,
          `Subject: BDAT ${id}`,
          `Message-ID: <${id}@remote.example>`,
          '',
          '.',
          '..',
          '.leading dot',
          'BDAT 5 LAST',
          'été, à 18 h',
          ...Array.from({ length: lines }, (_, i) => `${i % 7 === 0 ? '.' : ''}line ${i} ${'x'.repeat(60)}`),
          '',
        ].join('\r\n'),
      );
    const whole = message('whole', 10);
    const streamed = message('streamed', 20_000);
    const lmtp = await LmtpClient.open({
      host: '127.0.0.1',
      port: stack.ports.dovecotLmtp,
      name: 'test.giroflee',
      timeoutMs: WAIT_MS,
    });
    try {
      expect(lmtp.capabilities.has('CHUNKING')).toBe(true);
      expect((await lmtp.send('alice@remote.example', [box.address], whole)).get(box.address)?.code).toBe(
        250,
      );
      const chunks = [0, 1000, 1001, 70_000, 700_000, streamed.length].map((at, i, all) =>
        streamed.subarray(at, all[i + 1]),
      );
      const reply = await lmtp.send(
        'alice@remote.example',
        [box.address],
        Readable.from(chunks.slice(0, -1)),
      );
      expect(reply.get(box.address)?.code).toBe(250);
    } finally {
      lmtp.quit();
    }
    const stored = await waitUntil('both messages', async () => {
      const all = await fetchAll(stack.ports.imap, box.address);
      return all.length === 2 && all;
    });
    // Dovecot adds its own trace fields at the top; what follows is what was sent, to the byte.
    for (const [sent, got] of [whole, streamed].map((m, i) => [m, stored[i]])) {
      const added = got.subarray(0, got.length - sent.length).toString('latin1');
      expect(added).toMatch(/^([A-Za-z-]+:[^\r\n]*\r\n([ \t][^\r\n]*\r\n)*)+$/);
      expect(got.subarray(got.length - sent.length).equals(sent)).toBe(true);
    }
  });

  it('stores only ciphertext, which GnuPG decrypts with the key exported through the API, exit status 0 for every length modulo 3 from 0 B to 1 MB', async () => {
    const box = await makeMailbox(ctx, { domainId, encryptionMode: 'generated' });
    await provisionMailboxKeys(ctx, box, TEST_PASSWORD);
    const secret = 'Rendez-vous jeudi à 18 h, code 5531.';
    const line = 'y'.repeat(75) + '\n';
    // Consecutive small bodies give consecutive ciphertext lengths; the last is streamed (> 1 MiB).
    const bodies = [0, 1, 2, 3, 4, 5].map((n) => secret + 'z'.repeat(n));
    bodies.push(secret + '\n' + line.repeat(1024), secret + '\n' + line.repeat(14_000));
    for (const [i, body] of bodies.entries()) await send(box.address, body, `taille ${i}`);
    const stored = await waitUntil('the stored messages', () => {
      const files = storedFiles(stack.mailRoot, box.address);
      return files.length === bodies.length && files;
    });

    const owner = (await loadMailboxActor(ctx, box.id)) as Actor;
    const res = await client.request('GET', `/api/v1/mailboxes/${box.address}/keys/private`, { as: owner });
    const { privateKey, passphrase } = res.body.keys[0] as { privateKey: string; passphrase: KdfParams };
    await withGpg(async (gpg, home) => {
      const pass = path.join(home, 'pass');
      fs.writeFileSync(pass, await derivePassphrase(TEST_PASSWORD, passphrase), { mode: 0o600 });
      gpg(['--passphrase-file', pass, '--import'], privateKey);
      const remainders = new Set<number>();
      for (const file of stored) {
        expect(file.toString('latin1')).toMatch(/multipart\/encrypted/);
        expect(file.toString('latin1')).not.toContain('code 5531');
        const armored = armoredPart(file);
        remainders.add(armoredDataLength(armored) % 3);
        // Throws with GnuPG's messages unless it exits 0.
        const inner = splitMessage(gpg(['--passphrase-file', pass, '--decrypt'], armored));
        expect(inner.fields.some((f) => f.name === 'content-type')).toBe(true);
        expect(inner.body.toString('utf8')).toContain('5531');
      }
      expect([...remainders].sort()).toEqual([0, 1, 2]);
      expect(Math.max(...stored.map((f) => f.length))).toBeGreaterThan(1024 * 1024);
    });
  });

  it(
    'keeps mail in Postfix’s queue while Dovecot is down mid-stream, and delivers each message exactly once when it is back',
    async () => {
      const box = await makeMailbox(ctx, { domainId, encryptionMode: 'generated' });
      await provisionMailboxKeys(ctx, box, TEST_PASSWORD);
      const p = stack.settings.paths;
      const postfix = (...args: string[]) => run(args[0], ['-c', p.postfixConfigDir, ...args.slice(1)]);
      const N = 40;
      const ids = Array.from({ length: N }, (_, i) => `<dovecot-down-${i}@remote.example>`);
      // Queue every message first (delivery to the gateway transport deferred), so that the
      // stream to Dovecot starts at once when released, and the MX never needs Dovecot's
      // quota-status service while it is down.
      await postfix('postconf', '-e', 'defer_transports = smtp, inbound');
      await postfix('postfix', 'reload');
      try {
        const smtp = mx(stack, true);
        await Promise.all(
          ids.map((messageId, i) =>
            smtp.sendMail({
              from: 'alice@remote.example',
              to: box.address,
              subject: `n° ${i}`,
              text: 'x',
              messageId,
            }),
          ),
        );
        smtp.close();
      } finally {
        await postfix('postconf', '-e', 'defer_transports = smtp');
        await postfix('postfix', 'reload');
      }
      await waitUntil('every message queued', async () => (await stack.queue()).length === N);

      await stack.flush();
      await waitUntil('the first deliveries', () => storedFiles(stack.mailRoot, box.address).length >= 3);
      await stopDovecot(p.dovecotConfigFile, p.dovecotBaseDir);
      // Every message the gateway could not hand to Dovecot is answered with a 4xx (its own 4.4.2,
      // or Dovecot's reply passed on, such as 421 4.3.2 while it shuts down) and stays queued.
      let seen = '';
      // Dovecot starts again whatever this finds: the file's other tests need it.
      const deferred = await waitUntil(
        'the gateway’s answers for the rest',
        async () => {
          const queue = await stack.queue();
          const stored = storedFiles(stack.mailRoot, box.address).length;
          const answered = queue.filter((e) =>
            e.recipients.every((r) => /said: 4\d\d 4\.\d+\.\d+ /.test(r.delay_reason ?? '')),
          );
          seen = `${stored} stored; queue: ${JSON.stringify(queue)}`;
          // More than N when Dovecot stored a message and stopped before its 250 went out: that
          // one is both stored and queued, and its retry is discarded by the delivery id.
          return stored + answered.length >= N && queue.length === answered.length
            ? answered.length
            : undefined;
          // A transaction Dovecot left half-open is answered after the gateway's own 30 s timeout,
          // and Postfix may hand the gateway a second round before every message is answered.
        },
        { timeoutMs: 2 * WAIT_MS },
      )
        .catch((e: Error) => {
          throw new Error(`${e.message}; last seen: ${seen}`);
        })
        .finally(async () => {
          await startDovecot(p.dovecotConfigFile, p.dovecotLogFile);
          await waitForPort(stack.ports.dovecotLmtp);
          await waitForPort(stack.ports.quotaStatus);
        });
      expect(deferred).toBeGreaterThan(0);

      await retryQueueUntil(
        stack,
        'every message stored',
        () => storedFiles(stack.mailRoot, box.address).length >= N,
      );
      await waitUntil('an empty queue', async () => (await stack.queue()).length === 0);
      expect(storedMessageIds(stack.mailRoot, box.address).sort()).toEqual([...ids].sort());
      for (const f of storedFiles(stack.mailRoot, box.address)) {
        expect(f.toString('latin1')).toMatch(/multipart\/encrypted/);
      }
    },
    2 * REAL_STACK_TEST_MS,
  );

  it('delivers at once, each message once, after Dovecot restarts under the gateway’s idle connections', async () => {
    const box = await makeMailbox(ctx, { domainId, encryptionMode: 'generated' });
    await provisionMailboxKeys(ctx, box, TEST_PASSWORD);
    const p = stack.settings.paths;
    const smtp = mx(stack, true);
    const sendAll = (ids: string[]) =>
      Promise.all(
        ids.map((messageId) =>
          smtp.sendMail({
            from: 'alice@remote.example',
            to: box.address,
            subject: 'x',
            text: 'x',
            messageId,
          }),
        ),
      );
    const ids = (what: string, n: number) =>
      Array.from({ length: n }, (_, i) => `<${what}-${i}@remote.example>`);
    try {
      // Enough at once that the gateway opens every connection of its pool, then leaves them idle.
      const before = ids('before-restart', 6);
      await sendAll(before);
      await waitUntil('the first messages', () => storedFiles(stack.mailRoot, box.address).length === 6);
      await stopDovecot(p.dovecotConfigFile, p.dovecotBaseDir);
      await startDovecot(p.dovecotConfigFile, p.dovecotLogFile);
      await waitForPort(stack.ports.dovecotLmtp);
      await waitForPort(stack.ports.quotaStatus);
      // A pooled connection that Dovecot told 421 or closed is never used again; one that turns
      // out stale as a transaction starts has that transaction sent again on a new connection.
      // A deferral would wait out Postfix's back-off of minutes: none may happen.
      const after = ids('after-restart', 6);
      await sendAll(after);
      const seen = await waitUntil('every message stored, or one deferred', async () => {
        const deferred = (await stack.queue()).filter((e) => e.recipients.some((r) => r.delay_reason));
        if (deferred.length) return { deferred };
        const stored = storedMessageIds(stack.mailRoot, box.address);
        return stored.length >= 12 ? { stored: stored.sort() } : undefined;
      });
      expect(seen).toEqual({ stored: [...before, ...after].sort() });
    } finally {
      smtp.close();
    }
  });

  it('stores once a message Postfix delivers again after losing the reply, and twice a second transaction with the same Message-ID', async () => {
    const box = await makeMailbox(ctx, { domainId, encryptionMode: 'generated' });
    await provisionMailboxKeys(ctx, box, TEST_PASSWORD);
    const conf = stack.settings.paths.postfixConfigDir;
    const postconf = async (...args: string[]) =>
      (await run('postconf', ['-c', conf, ...args])).stdout.trim();
    const transport = await postconf('-h', 'virtual_transport');
    const cutter = await startReplyCutter(gateway.port);
    const messageId = '<twice@remote.example>';
    const sendOne = () =>
      mx(stack).sendMail({
        from: 'alice@remote.example',
        to: box.address,
        subject: 'deux fois',
        text: 'x',
        messageId,
      });
    const deliveryIds = () =>
      storedFiles(stack.mailRoot, box.address).map(
        (f) => new RegExp(`^${DELIVERY_HEADER}: (\\S+)$`, 'm').exec(f.toString('latin1'))?.[1],
      );
    let queueId: string;
    try {
      await postconf('-e', `virtual_transport = inbound:inet:127.0.0.1:${cutter.port}`);
      await run('postfix', ['-c', conf, 'reload']);
      await sendOne();
      // Dovecot stored it; Postfix never had the reply and keeps the queue file for a retry.
      [{ queue_id: queueId }] = await waitUntilDeferred(stack, 'the delivery whose reply was lost', 1);
      expect(cutter.cut()).toBe(true);
      expect(storedFiles(stack.mailRoot, box.address)).toHaveLength(1);
    } finally {
      await postconf('-e', `virtual_transport = ${transport}`);
      await run('postfix', ['-c', conf, 'reload']);
      cutter.close();
    }
    await retryQueueUntil(stack, 'the retry', async () => (await stack.queue()).length === 0);
    // The retry was answered 250 (the queue is empty) after Dovecot's Sieve discarded it.
    expect(deliveryIds()).toEqual([deliveryId(queueId, 'alice@remote.example')]);

    await sendOne();
    await waitUntil(
      'the second transaction stored',
      () => storedFiles(stack.mailRoot, box.address).length === 2,
    );
    expect(storedMessageIds(stack.mailRoot, box.address)).toEqual([messageId, messageId]);
    expect(new Set(deliveryIds()).size).toBe(2);
  });

  it('keeps a message that cannot be encrypted in Postfix’s queue, and delivers it once the key exists', async () => {
    const box = await makeMailbox(ctx, { domainId, encryptionMode: 'generated' });
    await send(box.address, 'en attente de clé 7788');
    const [deferred] = await waitUntilDeferred(stack, 'the deferral', 1);
    expect(JSON.stringify(deferred)).toContain('4.7.0');
    expect(JSON.stringify(deferred)).toContain(box.address);
    expect(storedFiles(stack.mailRoot, box.address)).toHaveLength(0);

    await provisionMailboxKeys(ctx, box, TEST_PASSWORD);
    await retryQueueUntil(
      stack,
      'the delivery after the fix',
      () => storedFiles(stack.mailRoot, box.address).length > 0,
    );
    const [stored] = storedFiles(stack.mailRoot, box.address);
    expect(stored.toString('latin1')).toMatch(/multipart\/encrypted/);
    expect(stored.toString('latin1')).not.toContain('7788');
  });
});
