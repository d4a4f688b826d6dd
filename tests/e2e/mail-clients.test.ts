import http from 'node:http';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { ImapFlow } from 'imapflow';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { parse as parsePlist } from 'plist';
import type { Actor } from '../../src/auth/actor';
import { loadMailboxActor } from '../../src/auth/sessions';
import type { Notifier } from '../../src/context';
import {
  doveadmApiKey,
  masterLogin,
  webmailMasterCredentials,
  type MasterCredentials,
} from '../../src/mailstack/master-user';
import { runQuotaWarnings } from '../../src/quota/quota-warning-job';
import { useTestApp } from '../support/app';
import { makeCollective, makeDomain, makeMailbox, makeRacine, TEST_PASSWORD } from '../support/factories';
import { freePorts, startTestMailstack, type TestMailstack } from '../support/mailstack';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';

jest.setTimeout(REAL_STACK_TEST_MS);

/** Logs in to IMAP (plain, the private stack) and out; throws when the login is refused. */
async function imapLogin(port: number, user: string, pass: string): Promise<void> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: false,
    auth: { user, pass },
    logger: false,
  });
  await client.connect();
  await client.logout();
}

/** Sends one message through Postfix submission with SMTP AUTH; throws when AUTH is refused. */
async function smtpSend(port: number, user: string, pass: string, tls = false): Promise<void> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: tls,
    ignoreTLS: !tls,
    tls: { rejectUnauthorized: false },
    auth: { user, pass },
  });
  try {
    await transport.sendMail({ from: user, to: user, subject: 'essai', text: 'Bonjour.' });
  } finally {
    transport.close();
  }
}

/** The server settings a mail program takes from an automatic setup document. */
interface Given {
  host: string;
  port: number;
  tls: boolean;
  starttls: boolean;
}

/** Logs in with the settings a document gave; `tls` means implicit TLS (the private stack's certificate is self-signed). */
async function imapWith(s: Given, user: string, pass: string): Promise<void> {
  const client = new ImapFlow({
    host: s.host,
    port: s.port,
    secure: s.tls,
    doSTARTTLS: s.starttls ? true : undefined,
    tls: { rejectUnauthorized: false },
    auth: { user, pass },
    logger: false,
  });
  await client.connect();
  await client.logout();
}

async function smtpWith(s: Given, user: string, pass: string): Promise<void> {
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.tls,
    requireTLS: s.starttls,
    ignoreTLS: !s.tls && !s.starttls,
    tls: { rejectUnauthorized: false },
    auth: { user, pass },
  });
  try {
    await transport.sendMail({ from: user, to: user, subject: 'configuré', text: 'Bonjour.' });
  } finally {
    transport.close();
  }
}

/** A strict XML parse: any well-formedness error fails the test. */
function parseXml(text: string) {
  return new DOMParser({
    onError: (level, message) => {
      throw new Error(`XML ${level}: ${message}`);
    },
  }).parseFromString(text, 'text/xml');
}

const child = (e: Element, name: string) => e.getElementsByTagName(name)[0]?.textContent ?? '';

/** GET with an explicit Host header (fetch may not set one), as a reverse proxy forwards it. */
function getWithHost(url: string, host: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }),
        );
      })
      .on('error', reject);
  });
}

/**
 * Mail programs on the real Postfix and Dovecot: app passwords made through the API open IMAP
 * and SMTP submission, the main password can be refused there, and neither changes the web
 * login or the webmail's master-user access.
 */
describe('mail programs on the real stack', () => {
  let stack: TestMailstack;
  let master: MasterCredentials;
  const notices: Parameters<Notifier['send']>[0][] = [];
  // Known before the app starts: its settings name the Dovecot services it calls.
  let ports: { imap: number; submission: number; submissions: number; managesieve: number; doveadm: number };
  beforeAll(async () => {
    const [imap, submission, submissions, managesieve, doveadm] = await freePorts(5);
    ports = { imap, submission, submissions, managesieve, doveadm };
  });
  const app = useTestApp({
    config: () => ({
      managesieve: { host: '127.0.0.1', port: ports.managesieve },
      doveadm: { host: '127.0.0.1', port: ports.doveadm },
      mailClients: {
        imap: [{ host: '127.0.0.1', port: ports.imap, security: 'none' }],
        smtp: [
          { host: '127.0.0.1', port: ports.submissions, security: 'tls' },
          { host: '127.0.0.1', port: ports.submission, security: 'none' },
        ],
      },
    }),
    setup: async (ctx) => {
      ctx.notifier = { send: async (m) => void notices.push(m) };
      master = await webmailMasterCredentials(ctx);
      stack = await startTestMailstack(ctx.databaseUrl, {
        ports,
        masterUser: master,
        doveadmApiKey: await doveadmApiKey(ctx),
      });
      return () => stack.stop();
    },
  });
  let domainId: string;
  let domainName: string;

  beforeAll(async () => {
    const collective = await makeCollective(app.ctx);
    const domain = await makeDomain(app.ctx, { collectiveId: collective.id });
    domainId = domain.id;
    domainName = domain.name;
  });

  async function newOwner(): Promise<{ address: string; actor: Actor }> {
    const box = await makeMailbox(app.ctx, { domainId });
    return { address: box.address, actor: (await loadMailboxActor(app.ctx, box.id)) as Actor };
  }

  async function newAppPassword(owner: { address: string; actor: Actor }, name: string) {
    const res = await app.client.request('POST', `/api/v1/mailboxes/${owner.address}/app-passwords`, {
      as: owner.actor,
      body: { name },
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; password: string };
  }

  describe('app passwords', () => {
    it('open IMAP and SMTP submission (587 and implicit TLS) and record their last use', async () => {
      const owner = await newOwner();
      const { password } = await newAppPassword(owner, 'Thunderbird');
      expect(password).toMatch(/^([a-z2-7]{4}-){5}[a-z2-7]{4}$/);

      await imapLogin(stack.ports.imap, owner.address, password);
      await smtpSend(stack.ports.submission, owner.address, password);
      await smtpSend(stack.ports.submissions, owner.address, password, true);

      const list = await app.client.request('GET', `/api/v1/mailboxes/${owner.address}/app-passwords`, {
        as: owner.actor,
      });
      expect(list.body.items).toEqual([
        expect.objectContaining({ name: 'Thunderbird', lastUsedAt: expect.any(String) }),
      ]);
      expect(JSON.stringify(list.body)).not.toContain(password);
    });

    it('refuse a wrong app password and a revoked one', async () => {
      const owner = await newOwner();
      const { id, password } = await newAppPassword(owner, 'Téléphone');
      const wrong = password.slice(0, -1) + (password.endsWith('a') ? 'b' : 'a');
      await expect(imapLogin(stack.ports.imap, owner.address, wrong)).rejects.toThrow();

      const revoked = await app.client.request(
        'DELETE',
        `/api/v1/mailboxes/${owner.address}/app-passwords/${id}`,
        {
          as: owner.actor,
        },
      );
      expect(revoked.status).toBe(204);
      await expect(imapLogin(stack.ports.imap, owner.address, password)).rejects.toThrow();
      await expect(smtpSend(stack.ports.submission, owner.address, password)).rejects.toThrow(/auth/i);
    });

    it('refuse the main password over IMAP and SMTP once the owner asks, not on the web or for the webmail', async () => {
      const owner = await newOwner();
      await imapLogin(stack.ports.imap, owner.address, TEST_PASSWORD);
      const { id, password } = await newAppPassword(owner, 'Nextcloud Mail');

      const set = await app.client.request(
        'PATCH',
        `/api/v1/mailboxes/${owner.address}/app-passwords/settings`,
        {
          as: owner.actor,
          body: { mainPasswordRefused: true },
        },
      );
      expect(set.body).toEqual({ mainPasswordRefused: true });

      await expect(imapLogin(stack.ports.imap, owner.address, TEST_PASSWORD)).rejects.toThrow();
      await expect(smtpSend(stack.ports.submission, owner.address, TEST_PASSWORD)).rejects.toThrow(/auth/i);
      await imapLogin(stack.ports.imap, owner.address, password);
      await imapLogin(stack.ports.imap, masterLogin(owner.address, master), master.password);
      const web = await app.client.request('POST', '/api/v1/session', {
        body: { login: owner.address, password: TEST_PASSWORD },
      });
      expect(web.status).toBe(200);

      // With no app password left the option has nothing to stand on: the main password works again.
      await app.client.request('DELETE', `/api/v1/mailboxes/${owner.address}/app-passwords/${id}`, {
        as: owner.actor,
      });
      await imapLogin(stack.ports.imap, owner.address, TEST_PASSWORD);
    });

    it('never open the web login', async () => {
      const owner = await newOwner();
      const { password } = await newAppPassword(owner, 'K-9');
      const web = await app.client.request('POST', '/api/v1/session', {
        body: { login: owner.address, password },
      });
      expect(web.status).toBe(401);
    });
  });

  describe('quota', () => {
    /** A message of about `bytes` from outside, through the MX. */
    const deliver = (to: string, bytes: number) =>
      nodemailer
        .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
        .sendMail({ from: 'ami@ailleurs.example', to, subject: 'Photos', text: 'x'.repeat(bytes) });

    it('shows what Dovecot counts, warns the mailbox once past 90 %, and again only after it went under', async () => {
      const box = await makeMailbox(app.ctx, { domainId, quotaBytes: 1024 * 1024 });
      const owner = (await loadMailboxActor(app.ctx, box.id)) as Actor;
      const empty = await app.client.request('GET', `/api/v1/mailboxes/${box.address}/quota`, { as: owner });
      expect(empty.body).toEqual({ usedBytes: 0, limitBytes: 1024 * 1024, usedMessages: 0, percent: 0 });

      await deliver(box.address, 950 * 1024);
      const full = await waitUntil('the message counted by Dovecot', async () => {
        const res = await app.client.request('GET', `/api/v1/mailboxes/${box.address}/quota`, { as: owner });
        return res.body.usedMessages === 1 && res.body;
      });
      expect(full.usedBytes).toBeGreaterThan(950 * 1024);
      expect(full.percent).toBeGreaterThanOrEqual(90);
      // The console's list shows the same figures for the whole page, in one doveadm request.
      const { actor: racine } = await makeRacine(app.ctx);
      const listed = await app.client.request(
        'GET',
        `/api/v1/domains/${domainName}/mailboxes?usage=true&prefix=${box.local_part}`,
        { as: racine },
      );
      expect(listed.body.usageUnavailable).toBe(false);
      expect(listed.body.items).toContainEqual(
        expect.objectContaining({ address: box.address, usage: full }),
      );

      const before = notices.length;
      await runQuotaWarnings(app.ctx);
      const mine = notices.slice(before).filter((n) => n.to.includes(box.address));
      expect(mine).toHaveLength(1);
      expect(mine[0].subject).toContain(`pleine à ${full.percent} %`);
      expect(mine[0].text).toContain('empty the Trash');
      expect(mine[0].text).toContain(
        `Your storage, in the webmail: ${app.ctx.config.publicUrl}/mail/settings`,
      );
      await runQuotaWarnings(app.ctx);
      expect(notices.filter((n) => n.to.includes(box.address))).toHaveLength(1);

      const imap = new ImapFlow({
        host: '127.0.0.1',
        port: stack.ports.imap,
        secure: false,
        auth: { user: box.address, pass: TEST_PASSWORD },
        logger: false,
      });
      await imap.connect();
      await imap.mailboxOpen('INBOX');
      await imap.messageDelete('1:*');
      await imap.logout();
      await runQuotaWarnings(app.ctx);
      await deliver(box.address, 950 * 1024);
      await waitUntil('the new message counted', async () => {
        const res = await app.client.request('GET', `/api/v1/mailboxes/${box.address}/quota`, { as: owner });
        return res.body.usedMessages === 1;
      });
      await runQuotaWarnings(app.ctx);
      expect(notices.filter((n) => n.to.includes(box.address))).toHaveLength(2);
    });
  });

  describe('automatic setup', () => {
    it('Thunderbird: both autoconfig addresses give servers that accept an app password', async () => {
      const owner = await newOwner();
      const { password } = await newAppPassword(owner, 'Thunderbird');
      const byHost = await getWithHost(`${app.client.url}/mail/config-v1.1.xml`, `autoconfig.${domainName}`);
      const wellKnown = await app.client.request(
        'GET',
        `/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(owner.address)}`,
      );
      expect(byHost.status).toBe(200);
      expect(byHost.type).toMatch(/^application\/xml/);
      expect(wellKnown.text).toBe(byHost.body);

      const doc = parseXml(byHost.body);
      const root = doc.documentElement!;
      expect([root.tagName, root.getAttribute('version')]).toEqual(['clientConfig', '1.1']);
      const provider = root.getElementsByTagName('emailProvider')[0];
      expect(provider.getAttribute('id')).toBe(domainName);
      expect(child(provider, 'domain')).toBe(domainName);
      const servers = (tag: string) =>
        Array.from(provider.getElementsByTagName(tag)).map((e) => ({
          type: e.getAttribute('type'),
          host: child(e, 'hostname'),
          port: Number(child(e, 'port')),
          socketType: child(e, 'socketType'),
          username: child(e, 'username'),
          authentication: child(e, 'authentication'),
        }));
      const incoming = servers('incomingServer');
      const outgoing = servers('outgoingServer');
      expect(incoming.map((x) => [x.type, x.port, x.socketType])).toEqual([
        ['imap', stack.ports.imap, 'plain'],
      ]);
      expect(outgoing.map((x) => [x.type, x.port, x.socketType])).toEqual([
        ['smtp', stack.ports.submissions, 'SSL'],
        ['smtp', stack.ports.submission, 'plain'],
      ]);
      for (const x of [...incoming, ...outgoing]) {
        expect([x.username, x.authentication]).toEqual(['%EMAILADDRESS%', 'password-cleartext']);
      }
      const given = (x: (typeof incoming)[number]): Given => ({
        host: x.host,
        port: x.port,
        tls: x.socketType === 'SSL',
        starttls: x.socketType === 'STARTTLS',
      });
      const user = incoming[0].username.replace('%EMAILADDRESS%', owner.address);
      for (const x of incoming) await imapWith(given(x), user, password);
      for (const x of outgoing) await smtpWith(given(x), user, password);
    });

    it('Outlook: the POX answer to the POSTed address gives servers that accept an app password', async () => {
      const owner = await newOwner();
      const { password } = await newAppPassword(owner, 'Outlook');
      const request = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>${owner.address.toUpperCase()}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`;
      const res = await app.client.request('POST', '/Autodiscover/Autodiscover.xml', {
        raw: request,
        headers: { 'content-type': 'text/xml' },
      });
      expect(res.status).toBe(200);
      const doc = parseXml(res.text);
      const root = doc.documentElement!;
      expect(root.namespaceURI).toBe(
        'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006',
      );
      const response = root.getElementsByTagName('Response')[0];
      expect(response.namespaceURI).toBe(
        'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a',
      );
      const account = response.getElementsByTagName('Account')[0];
      expect([child(account, 'AccountType'), child(account, 'Action')]).toEqual(['email', 'settings']);
      const protocols = Array.from(account.getElementsByTagName('Protocol')).map((p) => ({
        type: child(p, 'Type'),
        given: {
          host: child(p, 'Server'),
          port: Number(child(p, 'Port')),
          tls: child(p, 'Encryption') === 'SSL',
          starttls: child(p, 'Encryption') === 'TLS',
        },
        login: child(p, 'LoginName'),
      }));
      expect(protocols.map((p) => [p.type, p.given.port, p.login])).toEqual([
        ['IMAP', stack.ports.imap, owner.address],
        ['SMTP', stack.ports.submissions, owner.address],
      ]);
      await imapWith(protocols[0].given, protocols[0].login, password);
      await smtpWith(protocols[1].given, protocols[1].login, password);
    });

    it('answers only for active hosted domains, and only to an autodiscover request', async () => {
      const pending = await makeDomain(app.ctx, {
        collectiveId: (await makeCollective(app.ctx)).id,
        status: 'pending',
      });
      for (const domain of [pending.name, 'elsewhere.example']) {
        const res = await getWithHost(`${app.client.url}/mail/config-v1.1.xml`, `autoconfig.${domain}`);
        expect(res.status).toBe(404);
      }
      const unknown = await app.client.request('POST', '/autodiscover/autodiscover.xml', {
        raw: '<Autodiscover><Request><EMailAddress>a@elsewhere.example</EMailAddress></Request></Autodiscover>',
      });
      expect(unknown.status).toBe(404);
      const notXml = await app.client.request('POST', '/autodiscover/autodiscover.xml', { raw: 'hello' });
      expect(notXml.status).toBe(400);
    });

    it('Apple: the signed-in owner downloads a profile whose servers accept an app password', async () => {
      const owner = await newOwner();
      const { password } = await newAppPassword(owner, 'iPhone');
      const res = await app.client.request('GET', `/api/v1/mailboxes/${owner.address}/mobileconfig`, {
        as: owner.actor,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/x-apple-aspen-config/);
      expect(res.headers.get('content-disposition')).toContain('.mobileconfig');
      const profile = parsePlist(res.text) as Record<string, any>;
      expect([profile.PayloadType, profile.PayloadVersion]).toEqual(['Configuration', 1]);
      const [mail] = profile.PayloadContent as Array<Record<string, any>>;
      expect(mail.PayloadType).toBe('com.apple.mail.managed');
      expect(mail.EmailAccountType).toBe('EmailTypeIMAP');
      expect(mail.EmailAddress).toBe(owner.address);
      expect(JSON.stringify(profile)).not.toMatch(/Password"\s*:\s*"[^"]/);
      await imapWith(
        {
          host: mail.IncomingMailServerHostName,
          port: mail.IncomingMailServerPortNumber,
          tls: mail.IncomingMailServerUseSSL,
          starttls: false,
        },
        mail.IncomingMailServerUsername,
        password,
      );
      await smtpWith(
        {
          host: mail.OutgoingMailServerHostName,
          port: mail.OutgoingMailServerPortNumber,
          tls: mail.OutgoingMailServerUseSSL,
          starttls: false,
        },
        mail.OutgoingMailServerUsername,
        password,
      );
      const again = await app.client.request('GET', `/api/v1/mailboxes/${owner.address}/mobileconfig`, {
        as: owner.actor,
      });
      expect(again.text).toBe(res.text);
    });
  });

  describe('vacation reply and filters', () => {
    /** Subjects in a folder, read as the mailbox itself. */
    async function subjects(address: string, folder = 'INBOX'): Promise<string[]> {
      const client = new ImapFlow({
        host: '127.0.0.1',
        port: stack.ports.imap,
        secure: false,
        auth: { user: address, pass: TEST_PASSWORD },
        logger: false,
      });
      await client.connect();
      try {
        const box = await client.mailboxOpen(folder).catch(() => undefined);
        if (!box || box.exists === 0) return [];
        const out: string[] = [];
        for await (const m of client.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
        return out;
      } finally {
        await client.logout();
      }
    }

    /** Sends through the MX and waits until Postfix handed everything on (Dovecot ran the script). */
    async function deliver(message: SendMailOptions): Promise<void> {
      await nodemailer
        .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
        .sendMail(message);
      await waitUntil('an empty Postfix queue', async () => (await stack.queue()).length === 0);
    }

    it('Dovecot applies the rules set through the API at delivery: files, discards, replies once', async () => {
      const owner = await newOwner();
      const friend = await newOwner();
      const rules = {
        vacation: { subject: 'Absente jusqu’à lundi', body: 'Bonjour,\nje lis mes messages lundi.', days: 7 },
        filters: [
          {
            field: 'list-id',
            match: 'contains',
            value: 'annonces',
            action: 'move',
            folder: 'Listes/Annonces',
          },
          { field: 'from', match: 'is', value: 'pub@ailleurs.example', action: 'discard' },
        ],
      };
      const put = await app.client.request('PUT', `/api/v1/mailboxes/${owner.address}/sieve`, {
        as: owner.actor,
        body: rules,
      });
      expect(put.status).toBe(200);
      const got = await app.client.request('GET', `/api/v1/mailboxes/${owner.address}/sieve`, {
        as: owner.actor,
      });
      expect(got.body).toMatchObject({ rules, otherScriptActive: false });
      expect(got.body.notice.en).toContain('clear headers');

      await deliver({ from: friend.address, to: owner.address, subject: 'Bonjour', text: 'Un café ?' });
      await deliver({ from: friend.address, to: owner.address, subject: 'Re: Bonjour', text: 'Alors ?' });
      await deliver({
        from: 'liste@ailleurs.example',
        to: owner.address,
        subject: 'Annonce du mois',
        text: 'Nouvelles',
        headers: { 'List-Id': 'Annonces <annonces.ailleurs.example>' },
      });
      await deliver({ from: 'pub@ailleurs.example', to: owner.address, subject: 'Promo', text: 'Achetez' });

      expect(await subjects(owner.address)).toEqual(['Bonjour', 'Re: Bonjour']);
      expect(await subjects(owner.address, 'Listes/Annonces')).toEqual(['Annonce du mois']);
      // RFC 5230 §4.2: one reply per sender within `days`.
      expect(await subjects(friend.address)).toEqual(['Absente jusqu’à lundi']);
    });

    it('sends no reply outside the dates given, and shows no rules until some are set', async () => {
      const owner = await newOwner();
      const friend = await newOwner();
      const none = await app.client.request('GET', `/api/v1/mailboxes/${owner.address}/sieve`, {
        as: owner.actor,
      });
      expect(none.body).toMatchObject({ rules: { vacation: null, filters: [] }, otherScriptActive: false });
      const put = await app.client.request('PUT', `/api/v1/mailboxes/${owner.address}/sieve`, {
        as: owner.actor,
        body: {
          vacation: { subject: 'Absent', body: 'En congé.', from: '2001-01-01', until: '2001-01-31' },
          // Quotes and backslashes stay inside their Sieve strings (RFC 5228 §2.4.2).
          filters: [
            {
              field: 'subject',
              match: 'contains',
              value: 'a "b" \\ c"; discard; #',
              action: 'move',
              folder: 'Tri "spécial"',
            },
          ],
        },
      });
      expect(put.status).toBe(200);
      const back = await app.client.request('GET', `/api/v1/mailboxes/${owner.address}/sieve`, {
        as: owner.actor,
      });
      expect(back.body.rules.filters[0]).toMatchObject({
        value: 'a "b" \\ c"; discard; #',
        folder: 'Tri "spécial"',
      });
      await deliver({ from: friend.address, to: owner.address, subject: 'Hors période', text: 'Salut' });
      expect(await subjects(owner.address)).toEqual(['Hors période']);
      expect(await subjects(friend.address)).toEqual([]);
    });
  });
});
