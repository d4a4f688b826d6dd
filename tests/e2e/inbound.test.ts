import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { suspendCollective } from '../../src/collectives/commands/suspend-collective';
import { masterLogin, MasterCredentials, webmailMasterCredentials } from '../../src/mailstack/master-user';
import { postfixPidFile } from '../../src/mailstack/processes';
import { createTestContext, TestContext } from '../support/context';
import { makeAlias, makeCollective, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';
import { startTestMailstack, TestMailstack } from '../support/mailstack';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';

jest.setTimeout(REAL_STACK_TEST_MS);

const run = promisify(execFile);

/** A fake remote MX on loopback: collects what Postfix relays to it. */
async function startFakeMx() {
  const received: Array<{ from: string; to: string[]; data: string }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString(),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function smtp(port: number, auth?: { user: string; pass: string }) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    auth,
    tls: { rejectUnauthorized: false },
  });
}

/** One message whose MAIL FROM announces `size` bytes (SIZE extension). */
async function sendWithSize(port: number, to: string, size: number): Promise<void> {
  const connection = new SMTPConnection({ host: '127.0.0.1', port, ignoreTLS: true });
  await new Promise<void>((resolve, reject) => {
    connection.once('error', reject);
    connection.connect(() => resolve());
  });
  try {
    await new Promise<void>((resolve, reject) =>
      connection.send(
        { from: 'a@remote.example', to: [to], size } as SMTPConnection.Envelope,
        'Subject: sized\r\n\r\nbody\r\n',
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  } finally {
    connection.quit();
  }
}

async function fetchAll(port: number, user: string, pass = TEST_PASSWORD): Promise<string[]> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: false,
    auth: { user, pass },
    logger: false,
  });
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const out: string[] = [];
      // FETCH 1:* on an empty mailbox is an error (RFC 9051 §6.4.5: no message number 1).
      if (!client.mailbox || client.mailbox.exists === 0) return out;
      for await (const m of client.fetch('1:*', { source: true })) out.push(m.source!.toString());
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

/** Postfix delivers asynchronously after its 250: poll the mailbox until the messages are there. */
async function waitForMessages(port: number, user: string, count: number, pass?: string) {
  return waitUntil(`${count} message(s) for ${user}`, async () => {
    const messages = await fetchAll(port, user, pass);
    return messages.length >= count && messages;
  });
}

describe('inbound mail on the real Postfix and Dovecot', () => {
  let ctx: TestContext;
  let stack: TestMailstack;
  let fakeMx: Awaited<ReturnType<typeof startFakeMx>>;
  let domain: { id: string; name: string };
  let other: { id: string; name: string };
  let master: MasterCredentials;

  beforeAll(async () => {
    ctx = await createTestContext();
    fakeMx = await startFakeMx();
    master = await webmailMasterCredentials(ctx);
    stack = await startTestMailstack(ctx.databaseUrl, {
      masterUser: master,
      inboundTransport: 'dovecot',
      relayhost: { host: '127.0.0.1', port: fakeMx.port },
    });
    const collective = await makeCollective(ctx);
    domain = await makeDomain(ctx, { collectiveId: collective.id });
    other = await makeDomain(ctx, { collectiveId: collective.id });
  });

  afterAll(async () => {
    await stack?.stop();
    await fakeMx?.close();
    await ctx?.destroy();
  });

  it('delivers a message sent to the MX into the mailbox, read back over IMAP', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id });
    await smtp(stack.ports.mx).sendMail({
      from: 'alice@remote.example',
      to: box.address,
      subject: 'Bonjour',
      text: 'Un message pour toi.',
    });
    const [message] = await waitForMessages(stack.ports.imap, box.address, 1);
    expect(message).toContain('Subject: Bonjour');
    expect(message).toContain('Un message pour toi.');
  });

  it('refuses an unknown recipient at RCPT with 550 5.1.1', async () => {
    await expect(
      smtp(stack.ports.mx).sendMail({ from: 'a@remote.example', to: `nobody@${domain.name}`, text: 'x' }),
    ).rejects.toMatchObject({ responseCode: 550, response: expect.stringContaining('5.1.1') });
  });

  it('delivers through an alias to its destination mailbox', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id });
    await makeAlias(ctx, { domainId: domain.id, localPart: 'contact', destinations: [box.address] });
    await smtp(stack.ports.mx).sendMail({
      from: 'a@remote.example',
      to: `contact@${domain.name}`,
      subject: 'Via alias',
      text: 'alias',
    });
    const [message] = await waitForMessages(stack.ports.imap, box.address, 1);
    expect(message).toContain('Subject: Via alias');
  });

  it('sends unknown addresses of a domain with a catch-all to its destination, and mailboxes to themselves', async () => {
    const catcher = await makeMailbox(ctx, { domainId: other.id });
    const owner = await makeMailbox(ctx, { domainId: other.id });
    await makeAlias(ctx, { domainId: other.id, localPart: '*', destinations: [catcher.address] });
    const mx = smtp(stack.ports.mx);
    await mx.sendMail({
      from: 'a@remote.example',
      to: `whatever@${other.name}`,
      subject: 'Catch',
      text: 'c',
    });
    await mx.sendMail({ from: 'a@remote.example', to: owner.address, subject: 'Own', text: 'o' });
    const [caught] = await waitForMessages(stack.ports.imap, catcher.address, 1);
    expect(caught).toContain('Subject: Catch');
    const [own] = await waitForMessages(stack.ports.imap, owner.address, 1);
    expect(own).toContain('Subject: Own');
    expect(await fetchAll(stack.ports.imap, catcher.address)).toHaveLength(1);
  });

  it('forwards an alias to an external address through the outbound next hop', async () => {
    await makeAlias(ctx, {
      domainId: domain.id,
      localPart: 'forward',
      destinations: ['someone@elsewhere.example'],
    });
    await smtp(stack.ports.mx).sendMail({
      from: 'a@remote.example',
      to: `forward@${domain.name}`,
      subject: 'Forwarded',
      text: 'f',
    });
    const got = await waitUntil('the forwarded message at the remote MX', () =>
      fakeMx.received.find((m) => m.data.includes('Subject: Forwarded')),
    );
    expect(got.to).toEqual(['someone@elsewhere.example']);
  });

  it('refuses at RCPT with 552 5.2.2 a message that does not fit in the mailbox, and delivers one that does', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id, quotaBytes: 5000 });
    // RFC 1870: the client announces the size in MAIL FROM; Postfix passes it to Dovecot's quota-status.
    await expect(sendWithSize(stack.ports.mx, box.address, 50000)).rejects.toMatchObject({
      responseCode: 552,
      response: expect.stringContaining('5.2.2'),
    });
    await sendWithSize(stack.ports.mx, box.address, 1000);
    await waitForMessages(stack.ports.imap, box.address, 1);
  });

  it('counts what a mailbox already holds: once it is full, the next message is refused at RCPT', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id, quotaBytes: 1024 ** 2 });
    await smtp(stack.ports.mx).sendMail({
      from: 'a@remote.example',
      to: box.address,
      subject: 'Fills it',
      text: 'x'.repeat(5000),
    });
    await waitForMessages(stack.ports.imap, box.address, 1);
    // The limit is read from the database at each lookup: lowered under what is stored, the
    // mailbox is full for the very next message, whatever size it announces.
    await ctx.db('mailboxes').where({ id: box.id }).update({ quota_bytes: 2000 });
    await expect(
      smtp(stack.ports.mx).sendMail({ from: 'a@remote.example', to: box.address, text: 'one more' }),
    ).rejects.toMatchObject({ responseCode: 552, response: expect.stringContaining('5.2.2') });
  });

  it('refuses to relay for an unauthenticated client, on the MX and on submission', async () => {
    await expect(
      smtp(stack.ports.mx).sendMail({ from: 'a@remote.example', to: 'x@elsewhere.example', text: 'x' }),
    ).rejects.toMatchObject({ responseCode: 554, response: expect.stringContaining('Relay access denied') });
    await expect(
      smtp(stack.ports.submission).sendMail({
        from: 'a@remote.example',
        to: 'x@elsewhere.example',
        text: 'x',
      }),
    ).rejects.toMatchObject({ responseCode: 554 });
  });

  it('lets a mailbox submit as itself, and refuses it as another address', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id });
    const victim = await makeMailbox(ctx, { domainId: domain.id });
    const submit = smtp(stack.ports.submission, { user: box.address, pass: TEST_PASSWORD });
    await expect(
      submit.sendMail({ from: victim.address, to: 'x@elsewhere.example', text: 'spoof' }),
    ).rejects.toMatchObject({ responseCode: 553, response: expect.stringContaining('not owned by user') });
    await submit.sendMail({
      from: box.address,
      to: 'friend@elsewhere.example',
      subject: 'Sent by me',
      headers: { 'X-Originating-IP': '[127.0.0.1]' },
      text: 'hello',
    });
    const got = await waitUntil('the submitted message at the remote MX', () =>
      fakeMx.received.find((m) => m.data.includes('Subject: Sent by me')),
    );
    expect(got.from).toBe(box.address);
    expect(got.data).not.toMatch(/X-Originating-IP/i);
    expect(got.data).not.toMatch(/with ESMTPS?A/);
  });

  it('refuses a wrong password on submission', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id });
    await expect(
      smtp(stack.ports.submission, { user: box.address, pass: 'wrong' }).sendMail({
        from: box.address,
        to: 'x@elsewhere.example',
        text: 'x',
      }),
    ).rejects.toMatchObject({ responseCode: 535 });
  });

  it('lets the webmail open a mailbox with its master secret, and nobody with a wrong one', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id });
    await smtp(stack.ports.mx).sendMail({
      from: 'a@remote.example',
      to: box.address,
      subject: 'Webmail',
      text: 'w',
    });
    await waitForMessages(stack.ports.imap, box.address, 1);
    const [message] = await fetchAll(stack.ports.imap, masterLogin(box.address, master), master.password);
    expect(message).toContain('Subject: Webmail');
    await expect(
      fetchAll(stack.ports.imap, masterLogin(box.address, master), TEST_PASSWORD),
    ).rejects.toThrow();
  });
  it('keeps receiving for a suspended collective, whose mailbox cannot log in over IMAP or submission until it is lifted', async () => {
    const collective = await makeCollective(ctx);
    const suspendedDomain = await makeDomain(ctx, { collectiveId: collective.id });
    const box = await makeMailbox(ctx, { domainId: suspendedDomain.id });
    const asRacine = { ...ctx, actor: { type: 'system', label: 'test' } as const };
    const row = await ctx.db('collectives').where({ id: collective.id }).first();
    await suspendCollective(asRacine, row, { suspended: true, reason: 'unpaid' });

    await smtp(stack.ports.mx).sendMail({
      from: 'a@remote.example',
      to: box.address,
      subject: 'While suspended',
      text: 'kept',
    });
    await expect(fetchAll(stack.ports.imap, box.address)).rejects.toThrow();
    await expect(
      smtp(stack.ports.submission, { user: box.address, pass: TEST_PASSWORD }).sendMail({
        from: box.address,
        to: 'x@elsewhere.example',
        text: 'x',
      }),
    ).rejects.toMatchObject({ responseCode: 535 });
    // Delivered while suspended: the webmail's master login (no password of the mailbox) sees it.
    const [kept] = await waitForMessages(
      stack.ports.imap,
      masterLogin(box.address, master),
      1,
      master.password,
    );
    expect(kept).toContain('Subject: While suspended');

    await suspendCollective(
      asRacine,
      { ...row, suspended_at: new Date() },
      { suspended: false, reason: 'paid' },
    );
    const [message] = await waitForMessages(stack.ports.imap, box.address, 1);
    expect(message).toContain('Subject: While suspended');
  });

  it('keeps greeting on the MX after a reload while Postfix’s log service is stalled, and loses none of its log lines', async () => {
    const p = stack.settings.paths;
    const master = Number(fs.readFileSync(postfixPidFile(p.postfixQueueDir), 'utf8').trim());
    // postlogd ends after an idle while and the master starts it for the next line: log one.
    const postlogd = await waitUntil('postlogd running', async () => {
      await run('postlog', ['-c', p.postfixConfigDir, '-t', 'giroflee-test', 'awake']);
      const { stdout } = await run('ps', ['-o', 'pid=,comm=', '--ppid', String(master)]);
      return Number(/^\s*(\d+)\s+postlogd$/m.exec(stdout)?.[1]) || undefined;
    });
    // More log lines than the kernel's default datagram queue holds wait for a stopped postlogd,
    // then a reload ends it: the master, which logs the reload, must still start a new one.
    const lines = Array.from({ length: 12 }, (_, i) => `stalled line ${i}`);
    process.kill(postlogd, 'SIGSTOP');
    const loggers = lines.map((line) =>
      spawn('postlog', ['-c', p.postfixConfigDir, '-t', 'giroflee-test', line], { stdio: 'ignore' }),
    );
    try {
      await waitUntil('every line sent', () => loggers.every((l) => l.exitCode !== null));
      await run('postfix', ['-c', p.postfixConfigDir, 'reload']);
      process.kill(postlogd, 'SIGKILL');
      const box = await makeMailbox(ctx, { domainId: domain.id });
      await smtp(stack.ports.mx).sendMail({ from: 'alice@remote.example', to: box.address, text: 'après' });
      await waitForMessages(stack.ports.imap, box.address, 1);
      await waitUntil('the stalled lines in Postfix’s log', () => {
        const log = fs.readFileSync(p.postfixLogFile!, 'utf8');
        return lines.every((line) => log.includes(line));
      });
    } finally {
      for (const l of loggers) l.kill('SIGKILL');
      try {
        process.kill(postlogd, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
});
