import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ImapFlow } from 'imapflow';
import { createApp } from '../../src/api/app';
import { hashPassword } from '../../src/auth/password-hash';
import { loadConfig } from '../../src/config';
import { startEmbeddedPostgres, temporaryClusterDir, type EmbeddedDatabase } from '../../src/db/embedded';
import { createDb, migrateLatest } from '../../src/db/knex';
import { encryptForOwner } from '../../src/encryption/lmtp-gateway';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { Keyring } from '../../src/encryption/master-key';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import { masterLogin, webmailMasterCredentials } from '../../src/mailstack/master-user';
import { startMailstack, type RunningMailstack } from '../../src/mailstack/start-mailstack';

export const PASSWORD = 'bench password, long enough';

export interface BigFolder {
  url: string;
  address: string;
  /** UIDs of the two large messages, appended last (so on the first page). */
  uid100k: number;
  uid5m: number;
  /** A word in the 100 KB and 5 MB messages' bodies, to wait for in the reader. */
  marker: string;
  /** Messages in the folder. */
  total: number;
  appendSeconds: number;
  stop(): Promise<void>;
}

function message(i: number, date: Date, body: string, subject = `Message ${i} du bench`): Buffer {
  return Buffer.from(
    [
      `From: Expéditeur ${i % 97} <sender${i % 97}@remote.example>`,
      'To: bench@webmail.bench.example',
      `Subject: ${subject}`,
      `Date: ${date.toUTCString()}`,
      `Message-ID: <bench-${i}@remote.example>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

/** About `bytes` of ordinary text, in lines, with `marker` at its start. */
function text(bytes: number, marker: string): string {
  const line = 'Le collectif se réunit mardi pour parler du budget, des adhésions et du serveur.\r\n';
  return `${marker}\r\n${line.repeat(Math.ceil(bytes / Buffer.byteLength(line)))}`;
}

/**
 * A mailbox whose INBOX holds `count` small messages and, newest, a 100 KB and a 5 MB one, each
 * encrypted for the owner as the inbound gateway does (encryptForOwner) and APPENDed straight
 * into Dovecot through the webmail's master user; giroflee's app (API and built webmail) on a
 * free port in front of it. Everything lives in a temporary folder, removed by stop().
 */
export async function bigFolder(count: number, say: (l: string) => void): Promise<BigFolder> {
  const { dir, clusterDir } = temporaryClusterDir('giroflee-bench-webmail-');
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    let embedded: EmbeddedDatabase | undefined;
    if (!process.env.DATABASE_URL) {
      embedded = await startEmbeddedPostgres(clusterDir);
      cleanups.push(() => embedded!.stop());
    }
    const databaseUrl = process.env.DATABASE_URL ?? embedded!.url;
    const db = createDb(databaseUrl, { min: 1, max: 10 });
    cleanups.push(() => db.destroy());
    await migrateLatest(db);
    say('  database ready');
    const ctx = {
      db,
      config: loadConfig({ NODE_ENV: 'production' }),
      keyring: new Keyring([Keyring.generateKey()]),
      now: () => new Date(),
    };
    const master = await webmailMasterCredentials(ctx);
    // Every port of the private stack free on loopback, never the defaults another stack may own.
    const names = [
      'mx',
      'submission',
      'imap',
      'dovecotLmtp',
      'auth',
      'quotaStatus',
      'reinject',
      'rspamdMilter',
      'rspamdFuzzy',
      'submissions',
      'managesieve',
      'doveadm',
    ] as const;
    const free = await freeLoopbackPorts(names.length);
    const ports = Object.fromEntries(names.map((n, i) => [n, free[i]])) as Record<
      (typeof names)[number],
      number
    >;
    const stack: RunningMailstack = await startMailstack({
      dir: `${dir}/stack`,
      databaseUrl,
      inboundTransport: 'dovecot',
      masterUser: master,
      ports,
    });
    cleanups.push(() => stack.stop());
    say('  Postfix and Dovecot started');

    const [collective] = await db('collectives').insert({ slug: 'bench', name: 'bench' }).returning('id');
    const [domain] = await db('domains')
      .insert({
        name: 'webmail.bench.example',
        collective_id: collective.id,
        status: 'active',
        verification_token: 'bench',
      })
      .returning(['id', 'name']);
    const [box] = await db('mailboxes')
      .insert({
        domain_id: domain.id,
        local_part: 'bench',
        password_hash: await hashPassword(PASSWORD),
        encryption_mode: 'generated',
        quota_bytes: 2 ** 40,
      })
      .returning(['id', 'address']);
    await provisionMailboxKeys(ctx, box, PASSWORD);
    say(`  mailbox ${box.address} with its key`);

    const imap = new ImapFlow({
      host: '127.0.0.1',
      port: stack.ports.imap,
      secure: false,
      doSTARTTLS: false,
      auth: { user: masterLogin(box.address, master), pass: master.password },
      logger: false,
    });
    await imap.connect();
    cleanups.push(() => imap.logout());
    const started = Date.now();
    const base = Date.UTC(2026, 0, 1);
    const BATCH = 25;
    for (let i = 0; i < count; i += BATCH) {
      // A batch of APPENDs in flight at once: imapflow pipelines them on the one connection.
      await Promise.all(
        Array.from({ length: Math.min(BATCH, count - i) }, async (_, j) => {
          const n = i + j;
          const date = new Date(base + n * 60_000);
          const raw = await encryptForOwner(
            db,
            box.address,
            message(n, date, text(1500, `corps ${n}`)),
            date,
          );
          await imap.append('INBOX', raw, ['\\Seen'], date);
        }),
      );
      if ((i + BATCH) % 2000 === 0) say(`  appended ${i + BATCH} of ${count}`);
    }
    const marker = 'marqueurdelecture';
    const large = async (n: number, bytes: number) => {
      const date = new Date(base + (count + n) * 60_000);
      const raw = await encryptForOwner(
        db,
        box.address,
        message(count + n, date, text(bytes, marker), `Grand message ${bytes} octets`),
        date,
      );
      const r = await imap.append('INBOX', raw, [], date);
      if (!r || !r.uid) throw new Error('APPEND gave no UID (UIDPLUS)');
      return r.uid;
    };
    const uid100k = await large(1, 100 * 1024);
    const uid5m = await large(2, 5 * 1024 * 1024);
    const appendSeconds = (Date.now() - started) / 1000;

    ctx.config.webmail = {
      ...ctx.config.webmail,
      imap: { host: '127.0.0.1', port: stack.ports.imap },
      submission: { host: '127.0.0.1', port: stack.ports.submission },
    };
    const server = http.createServer(createApp(ctx));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      address: box.address,
      uid100k,
      uid5m,
      marker,
      total: count + 2,
      appendSeconds,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
