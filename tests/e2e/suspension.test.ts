import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { webmailOf } from '../../src/mail/webmail-service';
import { doveadmApiKey, webmailMasterCredentials } from '../../src/mailstack/master-user';
import type { PlatformOutboundGateway } from '../../src/relay/components';
import { startSendingPolicy } from '../../src/sending/component';
import type { RunningPolicyServer } from '../../src/sending/policy-server';
import { ManageSieveClient } from '../../src/sieve/managesieve-client';
import { useTestApp } from '../support/app';
import { makeRacine, makeRelay, makeTenant, TEST_PASSWORD } from '../support/factories';
import { freePorts, startTestMailstack, type TestMailstack } from '../support/mailstack';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';
import { startTestOutboundGateway } from '../support/outbound-gateway';
import { startFakeRelay, type FakeRelay } from '../relay/support/fake-relay';

jest.setTimeout(REAL_STACK_TEST_MS);

type Tenant = Awaited<ReturnType<typeof makeTenant>>;

/**
 * A racine suspends a collective (or an admin a mailbox) at 2 a.m.: what was open closes at
 * once (as when a mailbox is deleted) and nothing leaves in its name, on the real Postfix and Dovecot with the outbound
 * gateway in front of a fake relay (the third party), and the sending policy at submission.
 */
describe('what a suspension leaves behind, on the real stack', () => {
  let stack: TestMailstack;
  let relay: FakeRelay;
  let policy: RunningPolicyServer;
  let gateway: PlatformOutboundGateway;
  // Known before the app starts: its settings name the Dovecot services it calls.
  let ports: { imap: number; submission: number; managesieve: number; doveadm: number };
  beforeAll(async () => {
    const [imap, submission, managesieve, doveadm] = await freePorts(4);
    ports = { imap, submission, managesieve, doveadm };
  });
  const app = useTestApp({
    config: (d) => ({
      managesieve: { host: '127.0.0.1', port: ports.managesieve },
      doveadm: { host: '127.0.0.1', port: ports.doveadm },
      webmail: { ...d.webmail, imap: { host: '127.0.0.1', port: ports.imap } },
    }),
    async setup(ctx) {
      const stops: Array<() => Promise<unknown> | unknown> = [];
      const teardown = async () => {
        for (const stop of stops.reverse()) await stop();
      };
      try {
        relay = await startFakeRelay();
        stops.push(() => relay.stop());
        await makeRelay(ctx, { name: 'relais', port: relay.port });
        gateway = await startTestOutboundGateway(ctx);
        stops.push(() => gateway.stop());
        policy = await startSendingPolicy(ctx, { host: '127.0.0.1', port: 0 });
        stops.push(() => policy.stop());
        const starting = startTestMailstack(ctx.databaseUrl, {
          ports,
          inboundTransport: 'dovecot',
          outboundFilter: { host: '127.0.0.1', port: gateway.port },
          sendingPolicy: { host: '127.0.0.1', port: policy.port },
          masterUser: await webmailMasterCredentials(ctx),
          doveadmApiKey: await doveadmApiKey(ctx),
        });
        stops.push(async () => (await starting.catch(() => undefined))?.stop());
        stack = await starting;
      } catch (e) {
        await teardown();
        throw e;
      }
      return teardown;
    },
  });

  let racine: Awaited<ReturnType<typeof makeRacine>>;
  beforeAll(async () => {
    racine = await makeRacine(app.ctx);
  });

  /** An IMAP session of the mailbox, as a mail program holds it open, and whether it closed. */
  async function openSession(address: string) {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: stack.ports.imap,
      secure: false,
      auth: { user: address, pass: TEST_PASSWORD },
      logger: false,
    });
    const session = { client, closed: false };
    client.on('close', () => (session.closed = true));
    client.on('error', () => undefined);
    await client.connect();
    await client.mailboxOpen('INBOX');
    return session;
  }

  const suspend = (t: Tenant) =>
    app.client.request('PUT', `/api/v1/collectives/${t.collective.slug}/suspension`, {
      as: racine.actor,
      body: { suspended: true, reason: 'Abus signalé' },
    });

  /** Sends through the MX and waits until Postfix handed everything on (Dovecot ran the scripts). */
  async function deliver(to: string, subject: string): Promise<void> {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: stack.ports.mx,
      secure: false,
      ignoreTLS: true,
    });
    try {
      await transport.sendMail({ from: 'ami@remote.example', to, subject, text: 'Bonjour.' });
    } finally {
      transport.close();
    }
    await waitUntil('an empty Postfix queue', async () => (await stack.queue()).length === 0);
  }

  /** Subjects in the mailbox's INBOX, read with the webmail's master login (no password of the mailbox). */
  async function inbox(address: string): Promise<string[]> {
    const master = await webmailMasterCredentials(app.ctx);
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: stack.ports.imap,
      secure: false,
      auth: { user: `${address}*${master.user}`, pass: master.password },
      logger: false,
    });
    await client.connect();
    try {
      const box = await client.mailboxOpen('INBOX');
      if (box.exists === 0) return [];
      const out: string[] = [];
      for await (const m of client.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
      return out;
    } finally {
      await client.logout();
    }
  }

  it("ends the IMAP, ManageSieve and webmail sessions a suspended collective had open, and no other collective's", async () => {
    const suspended = await makeTenant(app.ctx);
    const other = await makeTenant(app.ctx);
    const imap = await openSession(suspended.mailbox.address);
    const untouched = await openSession(other.mailbox.address);
    const sieve = await ManageSieveClient.connect({ host: '127.0.0.1', port: stack.ports.managesieve });
    await sieve.authenticate(suspended.mailbox.address, TEST_PASSWORD);
    const folders = `/api/v1/mail/${suspended.mailbox.address}/folders`;
    expect((await app.client.request('GET', folders, { as: suspended.actors.owner })).status).toBe(200);
    const webmail = webmailOf(app.ctx);
    expect(webmail.pool.size).toBe(1);
    // The webmail's push stream: its answer ends when the stream does.
    const events = app.client.request('GET', `/api/v1/mail/${suspended.mailbox.address}/events`, {
      as: suspended.actors.owner,
    });
    let streamEnded = false;
    void events.then(() => (streamEnded = true));
    await waitUntil('the push stream to be open', () => webmail.streams.size === 1);

    const res = await suspend(suspended);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ suspension: { reason: 'Abus signalé' }, sessions: { ended: true } });

    await waitUntil('the IMAP session to be closed by Dovecot', () => imap.closed);
    expect(webmail.pool.size).toBe(0);
    await waitUntil('the push stream to end', () => streamEnded);
    expect((await events).status).toBe(200);
    expect(webmail.streams.size).toBe(0);
    await expect(sieve.listScripts()).rejects.toThrow();
    expect((await app.client.request('GET', folders, { as: suspended.actors.owner })).status).toBe(401);
    await untouched.client.noop();
    expect(untouched.closed).toBe(false);
    await untouched.client.logout();
  });

  it('ends the IMAP session of a mailbox its admin suspends', async () => {
    const t = await makeTenant(app.ctx);
    const imap = await openSession(t.mailbox.address);
    const res = await app.client.request('PATCH', `/api/v1/mailboxes/${t.mailbox.address}`, {
      as: t.actors.admin,
      body: { status: 'disabled' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'disabled', sessions: { ended: true } });
    await waitUntil('the IMAP session to be closed by Dovecot', () => imap.closed);
  });

  it('ends the IMAP and webmail sessions of a mailbox its admin deletes', async () => {
    const t = await makeTenant(app.ctx);
    const imap = await openSession(t.mailbox.address);
    const webmail = webmailOf(app.ctx);
    const pooled = webmail.pool.size;
    const folders = `/api/v1/mail/${t.mailbox.address}/folders`;
    expect((await app.client.request('GET', folders, { as: t.actors.owner })).status).toBe(200);
    expect(webmail.pool.size).toBe(pooled + 1);

    const res = await app.client.request('DELETE', `/api/v1/mailboxes/${t.mailbox.address}`, {
      as: t.actors.admin,
    });
    expect(res.status).toBe(204);
    await waitUntil('the IMAP session to be closed by Dovecot', () => imap.closed);
    expect(webmail.pool.size).toBe(pooled);
  });

  it('refuses with 5.7.1 a message on a submission session logged in before the suspension', async () => {
    const t = await makeTenant(app.ctx);
    const transport = nodemailer.createTransport({
      pool: true,
      maxConnections: 1,
      host: '127.0.0.1',
      port: stack.ports.submission,
      ignoreTLS: true,
      auth: { user: t.mailbox.address, pass: TEST_PASSWORD },
    });
    const send = (subject: string) =>
      transport.sendMail({ from: t.mailbox.address, to: 'ami@remote.example', subject, text: 'Bonjour.' });
    try {
      await send('Avant la suspension');
      await waitUntil('the first message at the relay', () =>
        relay.received.some((m) => m.raw.includes('Subject: Avant la suspension')),
      );
      expect((await suspend(t)).status).toBe(200);
      await expect(send('Pendant la suspension')).rejects.toMatchObject({
        responseCode: 550,
        response: expect.stringContaining('5.7.1'),
      });
    } finally {
      transport.close();
    }
  });

  it("stores a suspended collective's mail and sends neither its vacation reply nor its Sieve redirect", async () => {
    const active = await makeTenant(app.ctx);
    const suspended = await makeTenant(app.ctx);
    const redirecting = await makeTenant(app.ctx);
    // A member's own script may name any From in its reply (RFC 5230 §4.4 :from).
    const elsewhere = await makeTenant(app.ctx);
    const vacation = { subject: 'Absente', body: 'Je lis mes messages lundi.', days: 1 };
    for (const t of [active, suspended]) {
      const put = await app.client.request('PUT', `/api/v1/mailboxes/${t.mailbox.address}/sieve`, {
        as: t.actors.owner,
        body: { vacation, filters: [] },
      });
      expect(put.status).toBe(200);
    }
    // A redirect comes from a script of the member's own (a mail program's ManageSieve).
    const sieve = await ManageSieveClient.connect({ host: '127.0.0.1', port: stack.ports.managesieve });
    await sieve.authenticate(redirecting.mailbox.address, TEST_PASSWORD);
    await sieve.putScript('renvoi', 'redirect "ailleurs@remote.example";');
    await sieve.setActive('renvoi');
    await sieve.logout();
    const own = await ManageSieveClient.connect({ host: '127.0.0.1', port: stack.ports.managesieve });
    await own.authenticate(elsewhere.mailbox.address, TEST_PASSWORD);
    await own.putScript(
      'absence',
      'require "vacation"; vacation :from "quelquun@ailleurs.example" :subject "Absent ailleurs" "Lundi.";',
    );
    await own.setActive('absence');
    await own.logout();

    // The same scripts send while their collective is active: the test can see them fail.
    const at = (to: string, subject: string) =>
      waitUntil(`"${subject}" to ${to} at the relay`, () =>
        relay.received.find((m) => m.to.includes(to) && m.raw.includes(`Subject: ${subject}`)),
      );
    await deliver(active.mailbox.address, 'Bonjour active');
    const reply = await at('ami@remote.example', 'Absente');
    expect(reply.from).toBe('');
    expect(reply.raw).toContain(`From: <${active.mailbox.address}>`);
    await deliver(redirecting.mailbox.address, 'Renvoi actif');
    const redirected = await at('ailleurs@remote.example', 'Renvoi actif');
    expect(redirected.raw).toContain(`X-Sieve-Redirected-From: ${redirecting.mailbox.address}`);

    expect((await suspend(suspended)).status).toBe(200);
    expect((await suspend(redirecting)).status).toBe(200);
    expect((await suspend(elsewhere)).status).toBe(200);
    const before = relay.received.length;
    // Pigeonhole sends during the delivery: once Postfix's queue is empty, it was refused or sent.
    await deliver(suspended.mailbox.address, 'Pendant la suspension');
    await deliver(redirecting.mailbox.address, 'À renvoyer');
    await deliver(elsewhere.mailbox.address, 'Pour la boîte au :from étranger');
    expect(relay.received.slice(before)).toEqual([]);
    expect(await inbox(suspended.mailbox.address)).toEqual(['Pendant la suspension']);
    // A redirect that cannot leave keeps the message (RFC 5228 §2.10.6: the implicit keep).
    expect(await inbox(redirecting.mailbox.address)).toEqual(['À renvoyer']);
    expect(await inbox(active.mailbox.address)).toEqual(['Bonjour active']);
    expect(await inbox(elsewhere.mailbox.address)).toEqual(['Pour la boîte au :from étranger']);
  });
});
