import { generateKeyPairSync } from 'node:crypto';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import type { Actor } from '../../src/auth/actor';
import { createSession, loadMailboxActor } from '../../src/auth/sessions';
import type { LmtpGateway } from '../../src/encryption/lmtp-gateway';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { webmailMasterCredentials } from '../../src/mailstack/master-user';
import { TEXT_ANALYSIS_LIMIT } from '../../src/mailstack/render-rspamd';
import { dkimSignatures } from '../../src/relay/dkim-sign-message';
import { staticLookup } from '../../src/dns/zone-server';
import type { DnsRecord } from '../../src/dns/resolver';
import { rr, startFixtureDns } from '../dns/fixture-dns';
import { createTestContext, TestContext } from '../support/context';
import { startTestApp, type TestClient } from '../support/http';
import { makeCollective, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';
import { startEncryptingMailstack, TestMailstack, webmailThrough } from '../support/mailstack';
import { REAL_STACK_TEST_MS, WAIT_MS, waitUntil } from '../support/wait-until';

jest.setTimeout(REAL_STACK_TEST_MS);

const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

/** An outside domain that signs its mail: its DKIM key pair (RSA 2048, as most senders use). */
const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
const SIGNER_KEY = signer.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const SIGNER_PEM = signer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

async function storedHeaders(port: number, user: string, folder = 'INBOX'): Promise<string[]> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: false,
    auth: { user, pass: TEST_PASSWORD },
    logger: false,
  });
  await client.connect();
  try {
    const lock = await client.getMailboxLock(folder);
    try {
      const out: string[] = [];
      if ((client.mailbox as { exists: number }).exists === 0) return out;
      for await (const m of client.fetch('1:*', { headers: true })) out.push(m.headers!.toString());
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

describe('inbound defence (rspamd) on the real stack', () => {
  let ctx: TestContext;
  let stack: TestMailstack;
  let gateway: LmtpGateway;
  let dns: Awaited<ReturnType<typeof startFixtureDns>>;
  let api: TestClient;
  let domain: { id: string; name: string };
  const zone: DnsRecord[] = [
    rr.txt('remote.example', 'v=spf1 ip4:127.0.0.1 -all'),
    rr.txt('_dmarc.strict.example', 'v=DMARC1; p=reject'),
    rr.txt('_dmarc.wary.example', 'v=DMARC1; p=quarantine'),
    rr.txt('signed.example', 'v=spf1 ip4:127.0.0.1 -all'),
    rr.txt('sel._domainkey.signed.example', `v=DKIM1; k=rsa; p=${SIGNER_KEY}`),
    rr.txt('_dmarc.signed.example', 'v=DMARC1; p=reject'),
  ];

  beforeAll(async () => {
    ctx = await createTestContext();
    dns = await startFixtureDns({ '127.0.0.1': staticLookup(zone) });
    // The production path: rspamd on the MX, then the encrypting gateway, then Dovecot.
    ({ gateway, stack } = await startEncryptingMailstack(ctx, {
      defence: { dnsServers: [{ host: '127.0.0.1', port: dns.port }], fuzzySyncSeconds: 1 },
      // The webmail's IMAP proxy, for the junk button.
      masterUser: await webmailMasterCredentials(ctx),
    }));
    ctx.config.webmail = { ...webmailThrough(stack, ctx.config.webmail), idleMs: 60_000 };
    api = await startTestApp(ctx);
    const c = await makeCollective(ctx);
    domain = await makeDomain(ctx, { collectiveId: c.id });
  });

  afterAll(async () => {
    await api?.close();
    await stack?.stop();
    await gateway?.stop();
    await dns?.stop();
    await ctx?.destroy();
  });

  const mx = () =>
    nodemailer.createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true });

  /** The headers of every message in `folder`, once there are `count` of them. */
  async function waitForHeaders(user: string, count: number, folder = 'INBOX'): Promise<string[]> {
    return waitUntil(`${count} message(s) in ${user}/${folder}`, async () => {
      const headers = await storedHeaders(stack.ports.imap, user, folder).catch(() => [] as string[]);
      return headers.length >= count && headers;
    });
  }

  it('refuses GTUBE during the SMTP transaction', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id });
    await expect(
      mx().sendMail({ from: 'a@remote.example', to: box.address, subject: 'test', text: GTUBE }),
    ).rejects.toMatchObject({ responseCode: 554, response: expect.stringContaining('5.7.1') });
  });

  it('stores an ordinary message with our Authentication-Results and its digests', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id });
    await mx().sendMail({
      from: 'a@remote.example',
      to: box.address,
      subject: 'Agenda',
      // rspamd hashes parts of 1 KB or more (smaller ones would match too much unrelated mail).
      text: 'The agenda for the general assembly of the association follows. '.repeat(30),
    });
    const headers = await waitForHeaders(box.address, 1);
    const ar = /^Authentication-Results:.*(?:\r?\n[ \t].*)*/m.exec(headers[0])?.[0] ?? '';
    expect(ar).toMatch(/^Authentication-Results: mail\.giroflee\.test;[\s\S]*spf=pass/);
    // RFC 8601 comments would name the client's address: none in our header.
    expect(ar).not.toMatch(/127\.0\.0\.1|\(/);
    expect(headers[0]).toMatch(/X-Giroflee-Digest: [0-9a-f]{128}/);
  });

  it('gives dkim=pass to a message signed by an outside domain, in the clear headers of the encrypted copy', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id, encryptionMode: 'generated' });
    await provisionMailboxKeys(ctx, { id: box.id, address: box.address }, TEST_PASSWORD);
    const message = Buffer.from(
      [
        'From: Alice <alice@signed.example>',
        `To: ${box.address}`,
        'Subject: Minutes of the meeting',
        `Date: ${ctx.now().toUTCString()}`,
        'Message-ID: <minutes@signed.example>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'The minutes are attached to the next message.',
        '',
      ].join('\r\n'),
    );
    // Signed as giroflee signs its own outbound mail (mailauth), stamped with the test clock:
    // rspamd refuses signatures from the future, not old ones.
    const signed = await dkimSignatures(
      [message],
      [{ domain: 'signed.example', selector: 'sel', algorithm: 'rsa-sha256', privateKeyPem: SIGNER_PEM }],
      ctx.now(),
    );
    expect(signed.headers).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256;/);
    await mx().sendMail({
      envelope: { from: 'alice@signed.example', to: [box.address] },
      raw: Buffer.concat([Buffer.from(signed.headers), message]),
    });
    const [headers] = await waitForHeaders(box.address, 1);
    expect(headers).toMatch(/^Content-Type: multipart\/encrypted/m);
    const ar = /^Authentication-Results:.*(?:\r?\n[ \t].*)*/m.exec(headers)?.[0].replace(/\s+/g, ' ') ?? '';
    expect(ar).toMatch(/dkim=pass header\.d=signed\.example header\.s=sel/);
    expect(ar).toMatch(/spf=pass smtp\.mailfrom=alice@signed\.example/);
    expect(ar).toMatch(/dmarc=pass header\.from=signed\.example/);
  });

  it("refuses at SMTP a message failing its domain's DMARC p=reject policy, naming DMARC", async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id });
    // SPF passes for the envelope's domain, which is not the From domain: DMARC fails.
    await expect(
      mx().sendMail({
        envelope: { from: 'a@remote.example', to: [box.address] },
        from: 'ceo@strict.example',
        to: box.address,
        subject: 'Wire transfer',
        text: 'Please pay.',
      }),
    ).rejects.toMatchObject({ responseCode: 554, response: expect.stringMatching(/5\.7\.1 .*DMARC/) });
  });

  it('files a DMARC p=quarantine failure into Junk, marked X-Spam: Yes in clear headers', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id });
    await mx().sendMail({
      envelope: { from: 'a@remote.example', to: [box.address] },
      from: 'news@wary.example',
      to: box.address,
      subject: 'Offer',
      text: 'An offer.',
    });
    const [junk] = await waitForHeaders(box.address, 1, 'Junk');
    expect(junk).toMatch(/^X-Spam: Yes/m);
    expect(junk).toMatch(/^X-Spam-Status: Yes, score=/m);
    expect(await storedHeaders(stack.ports.imap, box.address)).toEqual([]);
  });

  it('removes an Authentication-Results and an X-Spam that came from outside', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id });
    await mx().sendMail({
      from: 'a@remote.example',
      to: box.address,
      subject: 'Forged',
      headers: {
        'Authentication-Results': 'mail.giroflee.test; dkim=pass header.d=bank.example; dmarc=pass',
        'X-Spam': 'No',
      },
      text: 'Trust me.',
    });
    const [headers] = await waitForHeaders(box.address, 1);
    expect(headers).not.toMatch(/bank\.example/);
    expect(headers).not.toMatch(/^X-Spam: No/m);
    expect(headers.match(/^Authentication-Results:/gm)).toHaveLength(1);
  });

  /**
   * A message reaches `reporter`, who reports it as junk with `report`; copies of it then go to
   * another mailbox until one lands in Junk. The fuzzy storage applies reports at its next sync
   * (1 s here): copies sent before then still reach the inbox.
   */
  async function expectLearned(
    subject: string,
    report: (reporter: { id: string; address: string }) => Promise<void>,
    // rspamd hashes parts of 1 KB or more; each test has its own text, so neither sees the other's report.
    text = `${subject}: genuine replica watches at unbeatable prices, order today and save. `.repeat(25),
  ): Promise<string> {
    const reporter = await makeMailbox(ctx, { domainId: domain.id });
    const other = await makeMailbox(ctx, { domainId: domain.id });
    const message = { from: 'a@remote.example', subject, text };
    await mx().sendMail({ ...message, to: reporter.address });
    const [first] = await waitForHeaders(reporter.address, 1);
    expect(first).not.toMatch(/^X-Spam: Yes/m);
    await report(reporter);

    const count = async (folder: string) =>
      (await storedHeaders(stack.ports.imap, other.address, folder).catch(() => [] as string[])).length;
    // How long the storage takes to answer for a new digest varies from one run to the next (from
    // the first copy to about a minute here): copies go on until one is recognised.
    const deadline = Date.now() + 2 * WAIT_MS;
    for (let sent = 1; ; sent++) {
      await mx().sendMail({ ...message, to: other.address });
      await waitUntil(
        `copy ${sent} delivered`,
        async () => (await count('INBOX')) + (await count('Junk')) >= sent,
      );
      const junk = await storedHeaders(stack.ports.imap, other.address, 'Junk');
      if (junk.length > 0) {
        expect(junk[0]).toMatch(/^X-Spam: Yes/m);
        return first;
      }
      if (Date.now() > deadline)
        throw new Error(`the reported message was not recognised after ${sent} copies`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** A junk report as an IMAP client makes it: the inbox moved into Junk. */
  async function moveToJunk(reporter: { address: string }): Promise<void> {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: stack.ports.imap,
      secure: false,
      auth: { user: reporter.address, pass: TEST_PASSWORD },
      logger: false,
    });
    await client.connect();
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageMove('1:*', 'Junk');
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  }

  it('learns from a move into Junk by an IMAP client: the same message is junk on its next arrival', async () => {
    await expectLearned('Cheap watches', moveToJunk);
  });

  it("learns from the webmail's junk button (the API): the same message is junk on its next arrival", async () => {
    await expectLearned('Lucky winner', async (reporter) => {
      const owner = (await loadMailboxActor(
        ctx,
        reporter.id,
        (await createSession(ctx, { mailboxId: reporter.id }, 1)).id,
      )) as Actor;
      const base = `/api/v1/mail/${reporter.address}/folders`;
      const list = await api.request('GET', `${base}/INBOX/messages`, { as: owner });
      const uids = list.body.messages.map((m: { uid: number }) => m.uid);
      expect(
        (await api.request('POST', `${base}/Junk/junk`, { as: owner, body: { uids, junk: true } })).status,
      ).toBe(400);
      const marked = await api.request('POST', `${base}/INBOX/junk`, {
        as: owner,
        body: { uids, junk: true },
      });
      expect(marked.status).toBe(200);
      expect(marked.body.to).toBe('Junk');
    });
  });

  it('reads a text part past the analysis bound as data: authenticated and learnable, its words unread', async () => {
    const line = 'Huge offer: genuine replica watches at unbeatable prices, order today and save.\r\n';
    // GTUBE at the top of the part: refused in a part of ordinary size (above), unseen past the bound.
    const text = `${GTUBE}\r\n${line.repeat(Math.ceil(TEXT_ANALYSIS_LIMIT / line.length) + 1)}`;
    const first = await expectLearned('Huge offer', moveToJunk, text);
    expect(first).toMatch(/^Authentication-Results: mail\.giroflee\.test;[\s\S]*spf=pass/m);
    expect(first).toMatch(/X-Giroflee-Digest: [0-9a-f]{128}/);
  });
});
