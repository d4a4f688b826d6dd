import http from 'node:http';
import nodemailer from 'nodemailer';
import * as openpgp from 'openpgp';
import type { Actor } from '../../src/auth/actor';
import { createSession, loadAccountActor, loadMailboxActor } from '../../src/auth/sessions';
import { webmailMasterCredentials } from '../../src/mailstack/master-user';
import { webmailOf } from '../../src/mail/webmail-service';
import { useTestApp } from '../support/app';
import { makeAccount, makeAlias, makeCollective, makeDomain, makeMailbox } from '../support/factories';
import { startTestMailstack, type TestMailstack } from '../support/mailstack';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';
import { startFakeRelay, type FakeRelay } from '../relay/support/fake-relay';

/** The webmail's IMAP proxy and submission on the real Postfix and Dovecot. */
describe('/api/v1/mail', () => {
  let stack: TestMailstack;
  let remote: FakeRelay;
  const app = useTestApp({
    async setup(ctx) {
      remote = await startFakeRelay();
      stack = await startTestMailstack(ctx.databaseUrl, {
        inboundTransport: 'dovecot',
        masterUser: await webmailMasterCredentials(ctx),
        relayhost: { host: '127.0.0.1', port: remote.port },
      });
      ctx.config.webmail = {
        imap: { host: '127.0.0.1', port: stack.ports.imap },
        submission: { host: '127.0.0.1', port: stack.ports.submission },
        idleMs: 60_000,
      };
      return async () => {
        await stack.stop();
        await remote.stop();
      };
    },
  });
  let box: { id: string; address: string };
  let owner: Actor;
  let domain: { id: string; name: string };
  const base = () => `/api/v1/mail/${box.address}`;
  const folder = (f: string) => `${base()}/folders/${encodeURIComponent(f)}`;

  let minute = 0;
  /** Each message a minute after the one before, so their Date order is unambiguous. */
  const deliver = (to: string, subject: string, text = 'Bonjour.', from = 'alice@remote.example') =>
    nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
      .sendMail({ from, to, subject, text, date: new Date(Date.UTC(2026, 10, 20, 10, minute++)) });

  async function inboxCount(): Promise<number> {
    const res = await app.client.request('GET', `${base()}/folders`, { as: owner });
    return res.body.folders.find((f: { path: string }) => f.path === 'INBOX').messages;
  }

  beforeAll(async () => {
    const collective = await makeCollective(app.ctx);
    domain = await makeDomain(app.ctx, { collectiveId: collective.id });
    box = await makeMailbox(app.ctx, { domainId: domain.id });
    owner = (await loadMailboxActor(app.ctx, box.id, (await sessionFor(box.id)).id)) as Actor;
    // One at a time: arrival order is what the list sorts on.
    for (const [i, subject] of ['un', 'deux', 'trois', 'quatre', 'cinq'].entries()) {
      await deliver(box.address, subject);
      await waitUntil(`message ${i + 1}`, async () => (await inboxCount()) === i + 1);
    }
  }, REAL_STACK_TEST_MS);

  async function sessionFor(mailboxId: string) {
    return createSession(app.ctx, { mailboxId }, 1);
  }

  it('lists the folders with their counts and special uses', async () => {
    const res = await app.client.request('GET', `${base()}/folders`, { as: owner });
    expect(res.status).toBe(200);
    const byUse = Object.fromEntries(res.body.folders.map((f: any) => [f.specialUse, f]));
    expect(byUse['\\Inbox']).toMatchObject({ path: 'INBOX', messages: 5, unseen: 5 });
    expect(Object.keys(byUse)).toEqual(expect.arrayContaining(['\\Sent', '\\Drafts', '\\Trash', '\\Junk']));
  });

  it('pages newest first, anchored on the last UID of the page before', async () => {
    const subjects: string[] = [];
    let anchor: number | null | undefined;
    do {
      const res = await app.client.request(
        'GET',
        `${folder('INBOX')}/messages?limit=2${anchor ? `&anchor=${anchor}` : ''}`,
        { as: owner },
      );
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(5);
      subjects.push(...res.body.messages.map((m: any) => m.subject));
      anchor = res.body.next;
    } while (anchor);
    expect(subjects).toEqual(['cinq', 'quatre', 'trois', 'deux', 'un']);
    const byArrival = await app.client.request('GET', `${folder('INBOX')}/messages?order=arrival&limit=5`, {
      as: owner,
    });
    expect(byArrival.body.messages.map((m: any) => m.subject)).toEqual(subjects);
    const first = (await app.client.request('GET', `${folder('INBOX')}/messages?limit=1`, { as: owner }))
      .body;
    expect(first.messages[0]).toMatchObject({
      subject: 'cinq',
      from: [{ address: 'alice@remote.example', name: '' }],
      to: [{ address: box.address }],
      flags: [],
      encrypted: false,
    });
    expect(first.messages[0].messageId).toMatch(/^<.+>$/);
  });

  it('searches From, To and Subject on the server', async () => {
    await deliver(box.address, 'Compte rendu du bureau', 'x', 'bureau@asso.example');
    await waitUntil('the sixth message', async () => (await inboxCount()) === 6);
    const bySubject = await app.client.request('GET', `${folder('INBOX')}/messages?q=bureau&field=subject`, {
      as: owner,
    });
    expect(bySubject.body.messages.map((m: any) => m.subject)).toEqual(['Compte rendu du bureau']);
    const byFrom = await app.client.request('GET', `${folder('INBOX')}/messages?q=bureau@asso&field=from`, {
      as: owner,
    });
    expect(byFrom.body.total).toBe(1);
    const none = await app.client.request('GET', `${folder('INBOX')}/messages?q=introuvable`, { as: owner });
    expect(none.body).toMatchObject({ total: 0, messages: [], next: null });
  });

  it('streams the stored message as message/rfc822', async () => {
    const page = (await app.client.request('GET', `${folder('INBOX')}/messages?limit=1`, { as: owner })).body;
    const res = await app.client.request('GET', `${folder('INBOX')}/messages/${page.messages[0].uid}`, {
      as: owner,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('message/rfc822');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.text).toMatch(/^Return-Path: <bureau@asso\.example>/);
    expect(res.text).toContain('Subject: Compte rendu du bureau');
    const missing = await app.client.request('GET', `${folder('INBOX')}/messages/999999`, { as: owner });
    expect(missing.status).toBe(404);
  });

  it('reports flag changes, arrivals and expunges since a modseq, then moves and deletes', async () => {
    const page = (await app.client.request('GET', `${folder('INBOX')}/messages?limit=2`, { as: owner })).body;
    const [a, b] = page.messages.map((m: any) => m.uid);
    const flagged = await app.client.request('POST', `${folder('INBOX')}/flags`, {
      as: owner,
      body: { uids: [a], add: ['\\Seen', '\\Flagged'] },
    });
    expect(flagged.status).toBe(204);
    const changes = await app.client.request(
      'GET',
      `${folder('INBOX')}/changes?since=${page.highestModseq}`,
      {
        as: owner,
      },
    );
    expect(changes.body.changed).toEqual([
      { uid: a, flags: expect.arrayContaining(['\\Seen', '\\Flagged']) },
    ]);
    expect(BigInt(changes.body.highestModseq)).toBeGreaterThan(BigInt(page.highestModseq));

    const created = await app.client.request('POST', `${base()}/folders`, {
      as: owner,
      body: { path: 'Projets' },
    });
    expect(created.status).toBe(201);
    const moved = await app.client.request('POST', `${folder('INBOX')}/move`, {
      as: owner,
      body: { uids: [b], to: 'Projets' },
    });
    expect(moved.status).toBe(200);
    const deleted = await app.client.request('POST', `${folder('INBOX')}/delete`, {
      as: owner,
      body: { uids: [a] },
    });
    expect(deleted.body).toEqual({ result: 'trash' });
    const after = await app.client.request(
      'GET',
      `${folder('INBOX')}/changes?since=${changes.body.highestModseq}`,
      {
        as: owner,
      },
    );
    expect(after.body.vanished.sort()).toEqual([a, b].sort());
    const folders = (await app.client.request('GET', `${base()}/folders`, { as: owner })).body.folders;
    expect(folders.find((f: any) => f.path === 'Projets').messages).toBe(1);
    expect(folders.find((f: any) => f.specialUse === '\\Trash').messages).toBe(1);

    const renamed = await app.client.request('PATCH', folder('Projets'), {
      as: owner,
      body: { path: 'Archives/2026' },
    });
    expect(renamed.status).toBe(200);
    expect((await app.client.request('DELETE', folder('Archives/2026'), { as: owner })).status).toBe(204);
    const refused = await app.client.request('DELETE', folder('Sent'), { as: owner });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('special_folder');
    expect((await app.client.request('DELETE', folder('Nulle part'), { as: owner })).status).toBe(404);
  });

  it('stores a copy only encrypted when the mailbox encrypts its mail', async () => {
    const encrypted = await makeMailbox(app.ctx, { domainId: domain.id, encryptionMode: 'generated' });
    const me = (await loadMailboxActor(app.ctx, encrypted.id, (await sessionFor(encrypted.id)).id)) as Actor;
    const drafts = `/api/v1/mail/${encrypted.address}/folders/Drafts/messages?flags=%5CDraft,%5CSeen`;
    const clear = `From: ${encrypted.address}\r\nSubject: brouillon\r\n\r\nen clair\r\n`;
    const refused = await app.client.request('POST', drafts, {
      as: me,
      raw: clear,
      headers: { 'content-type': 'message/rfc822' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('not_encrypted');

    const { publicKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ email: encrypted.address }],
      date: app.ctx.now(),
    });
    const armored = await openpgp.encrypt({
      message: await openpgp.createMessage({ text: 'Content-Type: text/plain\r\n\r\nsecret\r\n' }),
      encryptionKeys: await openpgp.readKey({ armoredKey: publicKey }),
      date: app.ctx.now(),
    });
    const pgpMime = [
      `From: ${encrypted.address}`,
      'Subject: ...',
      'MIME-Version: 1.0',
      'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"',
      '',
      '--b',
      'Content-Type: application/pgp-encrypted',
      '',
      'Version: 1',
      '--b',
      'Content-Type: application/octet-stream',
      '',
      armored.toString().trim(),
      '--b--',
      '',
    ].join('\r\n');
    const stored = await app.client.request('POST', drafts, {
      as: me,
      raw: pgpMime,
      headers: { 'content-type': 'message/rfc822' },
    });
    expect(stored.status).toBe(201);
    expect(stored.body.uid).toBeGreaterThan(0);
    const listed = await app.client.request(
      'GET',
      `/api/v1/mail/${encrypted.address}/folders/Drafts/messages`,
      {
        as: me,
      },
    );
    expect(listed.body.messages[0]).toMatchObject({
      encrypted: true,
      flags: expect.arrayContaining(['\\Draft']),
    });
  });

  it('sends as the mailbox or an alias through submission, with Bcc recipients hidden', async () => {
    await makeAlias(app.ctx, { domainId: domain.id, localPart: 'contact', destinations: [box.address] });
    const ids = await app.client.request('GET', `${base()}/identities`, { as: owner });
    expect(ids.body.identities.map((i: any) => i.address)).toEqual([box.address, `contact@${domain.name}`]);

    const message = (from: string, subject: string) =>
      [
        `From: ${from}`,
        'To: Ami <friend@remote.example>',
        'Bcc: hidden@remote.example',
        `Subject: ${subject}`,
        'Message-ID: <webmail-test@giroflee.test>',
        '',
        'Bonjour.',
        '',
      ].join('\r\n');
    const send = (raw: string) =>
      app.client.request('POST', `${base()}/send`, {
        as: owner,
        raw,
        headers: { 'content-type': 'message/rfc822' },
      });

    const spoof = await send(message('president@remote.example', 'usurpation'));
    expect(spoof.status).toBe(400);
    expect(spoof.body.error.code).toBe('sender_not_allowed');

    const sent = await send(message(`contact@${domain.name}`, 'Depuis l’alias'));
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ messageId: '<webmail-test@giroflee.test>', recipients: 2 });
    const got = await waitUntil('the message at the remote MX', () =>
      remote.received.find((m) => m.raw.includes('Depuis l’alias')),
    );
    expect(got.from).toBe(`contact@${domain.name}`);
    expect(got.to.sort()).toEqual(['friend@remote.example', 'hidden@remote.example']);
    expect(got.raw).not.toMatch(/^Bcc:/im);
  });

  it('pushes a folder’s new state over Server-Sent Events, resuming from Last-Event-ID', async () => {
    const { token } = await sessionFor(box.id);
    const events: Array<{ id: string; data: any }> = [];
    const request = http.get(`${app.client.url}${base()}/events?folder=INBOX`, {
      headers: { cookie: `giroflee_session=${token}` },
    });
    const response = await new Promise<http.IncomingMessage>((resolve) => request.on('response', resolve));
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream');
    let buffer = '';
    response.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) events.push({ id, data: JSON.parse(data) });
      }
    });
    const first = await waitUntil('the current state', () => events[0]);
    await deliver(box.address, 'nouveau');
    const second = await waitUntil('the new mail event', () =>
      events.find((e) => e.data.messages > first.data.messages),
    );
    expect(BigInt(second.id)).toBeGreaterThan(BigInt(first.id));
    request.destroy();

    // Resuming from the latest id sends nothing at once; from an older one, the current state.
    const resumed = await new Promise<string>((resolve) => {
      const r = http.get(`${app.client.url}${base()}/events?folder=INBOX`, {
        headers: { cookie: `giroflee_session=${token}`, 'last-event-id': first.id },
      });
      r.on('response', (res) => {
        res.once('data', (chunk: Buffer) => {
          resolve(chunk.toString());
          r.destroy();
        });
      });
    });
    expect(resumed).toContain(`id: ${second.id}`);
  });

  /** A request with a session's own cookie (the test client keeps one session per mailbox). */
  const withSession = (token: string, method: string, path: string) =>
    fetch(`${app.client.url}${path}`, {
      method,
      headers: { cookie: `giroflee_session=${token}`, 'x-giroflee-csrf': '1' },
    });

  it('gives each session its own key for the stored blob, and nothing to others', async () => {
    const [one, two] = [await sessionFor(box.id), await sessionFor(box.id)];
    const key = async (token: string) =>
      (await (await withSession(token, 'GET', `${base()}/session-key`)).json()).key;
    const first = await key(one.token);
    expect(Buffer.from(first, 'base64')).toHaveLength(32);
    expect(await key(one.token)).toBe(first);
    expect(await key(two.token)).not.toBe(first);
    const admin = await makeAccount(app.ctx, { racine: true });
    const refused = await app.client.request('GET', `${base()}/session-key`, {
      as: (await loadAccountActor(app.ctx, admin.id)) as Actor,
    });
    expect(refused.status).toBe(404);
  });

  it('closes the session’s IMAP connection at logout', async () => {
    const { token } = await sessionFor(box.id);
    const pool = webmailOf(app.ctx).pool;
    const before = pool.size;
    expect((await withSession(token, 'GET', `${base()}/folders`)).status).toBe(200);
    expect(pool.size).toBe(before + 1);
    expect((await withSession(token, 'DELETE', '/api/v1/session')).status).toBe(204);
    expect(pool.size).toBe(before);
  });
});
