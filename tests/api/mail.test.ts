import http from 'node:http';
import nodemailer from 'nodemailer';
import * as openpgp from 'openpgp';
import type { Actor } from '../../src/auth/actor';
import { createSession, loadAccountActor, loadMailboxActor } from '../../src/auth/sessions';
import { webmailMasterCredentials } from '../../src/mailstack/master-user';
import { logoutOrClose, openImap } from '../../src/mail/imap-pool';
import { webmailOf } from '../../src/mail/webmail-service';
import { useTestApp } from '../support/app';
import { makeAccount, makeAlias, makeCollective, makeDomain, makeMailbox } from '../support/factories';
import { startTestMailstack, type TestMailstack, webmailThrough } from '../support/mailstack';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { wkdHash } from '../../src/encryption/wkd';
import { fakeInternet } from '../support/fake-internet';
import { makeOpenpgpKey, TEST_PASSWORD } from '../support/factories';
import { startFakeRelay, type FakeRelay } from '../relay/support/fake-relay';

/** The webmail's IMAP proxy and submission on the real Postfix and Dovecot. */
describe('/api/v1/mail', () => {
  let stack: TestMailstack;
  let remote: FakeRelay;
  const internet = fakeInternet();
  const app = useTestApp({
    async setup(ctx) {
      ctx.remoteHttp = internet;
      remote = await startFakeRelay();
      stack = await startTestMailstack(ctx.databaseUrl, {
        inboundTransport: 'dovecot',
        masterUser: await webmailMasterCredentials(ctx),
        relayhost: { host: '127.0.0.1', port: remote.port },
      });
      ctx.config.webmail = { ...webmailThrough(stack, ctx.config.webmail), idleMs: 60_000 };
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
  it('opens the mailbox’s IMAP connection at login, before the first page asks for it', async () => {
    const pool = webmailOf(app.ctx).pool;
    const before = pool.size;
    const login = await app.client.request('POST', '/api/v1/session', {
      body: { login: box.address, password: TEST_PASSWORD },
    });
    expect(login.status).toBe(200);
    expect(pool.size).toBe(before + 1);
    const token = /giroflee_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1];
    const page = await withSession(token, 'GET', `${folder('INBOX')}/messages?limit=2`);
    expect(page.status).toBe(200);
    expect(pool.size).toBe(before + 1);
    expect((await withSession(token, 'DELETE', '/api/v1/session')).status).toBe(204);
    expect(pool.size).toBe(before);
  });

  it('replaces the previous autosave of a draft, and deletes a draft for good when asked', async () => {
    const drafts = (q = '') => `${folder('Drafts')}/messages?flags=%5CDraft${q}`;
    const draft = (n: number) => `From: ${box.address}\r\nSubject: brouillon ${n}\r\n\r\nversion ${n}\r\n`;
    const store = (n: number, q = '') =>
      app.client.request('POST', drafts(q), {
        as: owner,
        raw: draft(n),
        headers: { 'content-type': 'message/rfc822' },
      });
    const first = await store(1);
    expect(first.status).toBe(201);
    const second = await store(2, `&replace=${first.body.uid}`);
    expect(second.status).toBe(201);
    const listed = await app.client.request('GET', `${folder('Drafts')}/messages`, { as: owner });
    expect(listed.body.messages.map((m: any) => m.subject)).toEqual(['brouillon 2']);
    const gone = await app.client.request('POST', `${folder('Drafts')}/delete`, {
      as: owner,
      body: { uids: [second.body.uid], permanent: true },
    });
    expect(gone.body).toEqual({ result: 'expunged' });
    const trash = (await app.client.request('GET', `${base()}/folders`, { as: owner })).body.folders.find(
      (f: any) => f.specialUse === '\\Trash',
    );
    const inTrash = await app.client.request(
      'GET',
      `/api/v1/mail/${box.address}/folders/${encodeURIComponent(trash.path)}/messages`,
      { as: owner },
    );
    expect(inTrash.body.messages.map((m: any) => m.subject)).not.toContain('brouillon 2');
  });

  it('finds recipients’ keys: the platform’s own WKD for its addresses, the remote WKD through the server', async () => {
    const hosted = await makeMailbox(app.ctx, { domainId: domain.id, encryptionMode: 'generated' });
    await provisionMailboxKeys(app.ctx, hosted, TEST_PASSWORD);
    const friend = await makeOpenpgpKey(app.ctx.now(), { email: 'friend@remote.example' });
    const friendKey = await openpgp.readKey({ armoredKey: friend.publicKey });
    const hash = wkdHash('friend');
    internet.serve(`https://openpgpkey.remote.example/.well-known/openpgpkey/remote.example/hu/${hash}`, {
      body: Buffer.from(friendKey.write()),
    });
    // Another domain publishes only by the direct method, and a key for someone else.
    const stranger = await makeOpenpgpKey(app.ctx.now(), { email: 'someone-else@direct.example' });
    internet.serve(`https://direct.example/.well-known/openpgpkey/hu/${wkdHash('bob')}`, {
      body: Buffer.from((await openpgp.readKey({ armoredKey: stranger.publicKey })).write()),
    });

    const res = await app.client.request('POST', `${base()}/recipient-keys`, {
      as: owner,
      body: { addresses: [hosted.address, 'Friend@Remote.example', 'bob@direct.example', box.address] },
    });
    expect(res.status).toBe(200);
    expect(res.body.keys[hosted.address]).toMatchObject({ source: 'platform' });
    expect(res.body.keys['friend@remote.example']).toMatchObject({
      source: 'wkd',
      fingerprint: friendKey.getFingerprint().toUpperCase(),
    });
    expect(
      (
        await openpgp.readKey({ armoredKey: res.body.keys['friend@remote.example'].publicKey })
      ).getFingerprint(),
    ).toBe(friendKey.getFingerprint());
    // A key for another address is not offered; a mailbox without keys has none.
    expect(res.body.keys['bob@direct.example']).toBeNull();
    expect(res.body.keys[box.address]).toBeNull();
    expect(internet.requested).toEqual(
      expect.arrayContaining([expect.stringContaining('https://direct.example/.well-known/openpgpkey/hu/')]),
    );
    // The platform's own domains are never looked up outside.
    expect(internet.requested.some((u) => u.includes(domain.name))).toBe(false);
  });

  it('fetches a remote image for the reader, raster images only, never from the browser', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    internet.serve('https://images.remote.example/logo.png', { contentType: 'image/png', body: png });
    internet.serve('https://images.remote.example/logo.svg', {
      contentType: 'image/svg+xml',
      body: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    });
    const get = (url: string) =>
      app.client.request('GET', `${base()}/remote?url=${encodeURIComponent(url)}`, { as: owner });
    const image = await get('https://images.remote.example/logo.png?id=42');
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('content-security-policy')).toContain('sandbox');
    expect(image.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await get('https://images.remote.example/logo.svg')).status).toBe(404);
    expect((await get('https://images.remote.example/missing.png')).status).toBe(404);
    expect((await get('javascript:alert(1)')).status).toBe(400);
    const admin = await makeAccount(app.ctx, { racine: true });
    const asRacine = await app.client.request(
      'GET',
      `${base()}/remote?url=${encodeURIComponent('https://images.remote.example/logo.png')}`,
      { as: (await loadAccountActor(app.ctx, admin.id)) as Actor },
    );
    expect(asRacine.status).toBe(404);
  });

  it('keeps the owner’s settings only encrypted when the mailbox encrypts, and audits the change without its content', async () => {
    const encrypted = await makeMailbox(app.ctx, { domainId: domain.id, encryptionMode: 'generated' });
    const me = (await loadMailboxActor(app.ctx, encrypted.id, (await sessionFor(encrypted.id)).id)) as Actor;
    const path = `/api/v1/mail/${encrypted.address}/preferences`;
    expect((await app.client.request('GET', path, { as: me })).body).toEqual({ blob: null, updatedAt: null });
    const clear = await app.client.request('PUT', path, {
      as: me,
      body: { blob: JSON.stringify({ signatures: { [encrypted.address]: 'Claire, trésorière' } }) },
    });
    expect(clear.status).toBe(400);
    expect(clear.body.error.code).toBe('not_encrypted');
    const blob =
      '-----BEGIN PGP MESSAGE-----\n\nwV4DAAAAAAAAAAASAQdAexample\n=abcd\n-----END PGP MESSAGE-----\n';
    const saved = await app.client.request('PUT', path, { as: me, body: { blob } });
    expect(saved.status).toBe(200);
    expect((await app.client.request('GET', path, { as: me })).body.blob).toBe(blob);
    const audit = await app.ctx
      .db('audit_log')
      .where({ action: 'mail.preferences.update', target_id: encrypted.id });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0].details)).not.toContain('PGP');
    // Another mailbox's settings are a mailbox that does not exist.
    expect((await app.client.request('GET', path, { as: owner })).status).toBe(404);
  });

  it('tells from the headers alone whether a message is encrypted and which it answers', async () => {
    const imap = await openImap(
      { host: '127.0.0.1', port: stack.ports.imap },
      await webmailMasterCredentials(app.ctx),
      box.address,
    );
    try {
      await imap.mailboxCreate('Fils');
      await imap.append('Fils', 'Subject: en clair\r\nContent-Type: text/plain\r\n\r\nBonjour.\r\n');
      await imap.append(
        'Fils',
        [
          'Subject: chiffré',
          'References: <un@asso.example>',
          '\t<deux@asso.example>',
          'Content-Type: Multipart/Encrypted; boundary="b";',
          ' protocol="application/pgp-encrypted"',
          '',
          '--b',
          'Content-Type: application/pgp-encrypted',
          '',
          'Version: 1',
          '--b--',
          '',
        ].join('\r\n'),
      );
    } finally {
      await logoutOrClose(imap);
    }
    const page = await app.client.request('GET', `${folder('Fils')}/messages?order=arrival`, { as: owner });
    expect(page.body.messages).toMatchObject([
      { subject: 'chiffré', encrypted: true, references: ['<un@asso.example>', '<deux@asso.example>'] },
      { subject: 'en clair', encrypted: false, references: [] },
    ]);
  });

  it(
    'keeps serving a session whose browser went away during a download',
    async () => {
      const { token } = await sessionFor(box.id);
      const imap = await openImap(
        { host: '127.0.0.1', port: stack.ports.imap },
        await webmailMasterCredentials(app.ctx),
        box.address,
      );
      let uid: number;
      try {
        await imap.mailboxCreate('Gros');
        const big = `Subject: gros\r\n\r\n${'Une ligne de texte pour grossir le message.\r\n'.repeat(100_000)}`;
        uid = ((await imap.append('Gros', big)) as { uid: number }).uid;
      } finally {
        await logoutOrClose(imap);
      }
      const raw = `${folder('Gros')}/messages/${uid}`;
      /** The raw message requested, the connection dropped right away or after its first bytes. */
      const abandon = (after: 'sent' | 'first bytes') =>
        new Promise<void>((resolve) => {
          const req = http.get(`${app.client.url}${raw}`, {
            headers: { cookie: `giroflee_session=${token}` },
          });
          req.on('response', (res) => res.once('data', () => req.destroy()));
          req.on('close', () => resolve());
          req.on('error', () => undefined);
          if (after === 'sent') req.on('finish', () => req.destroy());
        });
      for (const after of ['sent', 'first bytes'] as const) {
        await abandon(after);
        // The same pooled IMAP connection answers the next requests (a hang fails on the signal).
        const page = await fetch(`${app.client.url}${folder('Gros')}/messages?limit=5`, {
          headers: { cookie: `giroflee_session=${token}` },
          signal: AbortSignal.timeout(REAL_STACK_TEST_MS / 2),
        });
        expect(page.status).toBe(200);
        expect((await page.json()).messages.map((m: { uid: number }) => m.uid)).toEqual([uid]);
        const whole = await fetch(`${app.client.url}${raw}`, {
          headers: { cookie: `giroflee_session=${token}` },
          signal: AbortSignal.timeout(REAL_STACK_TEST_MS / 2),
        });
        expect((await whole.text()).length).toBeGreaterThan(4_000_000);
      }
    },
    REAL_STACK_TEST_MS,
  );
  it('empties the Trash for good, only of the count the owner confirmed, and no other folder', async () => {
    const imap = await openImap(
      { host: '127.0.0.1', port: stack.ports.imap },
      await webmailMasterCredentials(app.ctx),
      box.address,
    );
    try {
      for (const n of [1, 2]) await imap.append('Trash', `Subject: jeté ${n}\r\n\r\nÀ jeter.\r\n`);
    } finally {
      await logoutOrClose(imap);
    }
    const folders = async () =>
      (await app.client.request('GET', `${base()}/folders`, { as: owner })).body.folders as Array<{
        path: string;
        specialUse: string | null;
        messages: number;
      }>;
    const inTrash = (await folders()).find((f) => f.specialUse === '\\Trash')!;
    expect(inTrash.messages).toBeGreaterThanOrEqual(2);
    // Told one count, the folder holds another: nothing goes.
    const stale = await app.client.request('POST', `${folder(inTrash.path)}/empty`, {
      as: owner,
      body: { messages: inTrash.messages - 1 },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('folder_changed');
    expect((await folders()).find((f) => f.path === inTrash.path)!.messages).toBe(inTrash.messages);
    const emptied = await app.client.request('POST', `${folder(inTrash.path)}/empty`, {
      as: owner,
      body: { messages: inTrash.messages },
    });
    expect(emptied.status).toBe(200);
    expect(emptied.body).toEqual({ deleted: inTrash.messages });
    expect((await folders()).find((f) => f.path === inTrash.path)!.messages).toBe(0);
    const inbox = await app.client.request('POST', `${folder('INBOX')}/empty`, {
      as: owner,
      body: { messages: await inboxCount() },
    });
    expect(inbox.status).toBe(409);
    expect(inbox.body.error.code).toBe('not_emptiable');
    expect(
      (
        await app.client.request('POST', `${folder('Nulle part')}/empty`, {
          as: owner,
          body: { messages: 0 },
        })
      ).status,
    ).toBe(404);
  });
});
