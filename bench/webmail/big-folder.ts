import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp } from '../../src/api/app';
import { hashPassword } from '../../src/auth/password-hash';
import { loadConfig } from '../../src/config';
import { startEmbeddedPostgres, temporaryClusterDir, type EmbeddedDatabase } from '../../src/db/embedded';
import { createDb, migrateLatest } from '../../src/db/knex';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { Keyring } from '../../src/encryption/master-key';
import { RecipientKeys } from '../../src/encryption/recipient-keys';
import { freeMailstackPorts } from '../../src/mailstack/free-ports';
import { masterLogin, webmailMasterCredentials } from '../../src/mailstack/master-user';
import { dovecotPidFile } from '../../src/mailstack/processes';
import { startMailstack, type RunningMailstack } from '../../src/mailstack/start-mailstack';
import { pidFromFile } from '../lib/cpu';
import { doveadmFor, seedMaildir, type Seed, type SeedTimes } from './seed-maildir';

export const PASSWORD = 'bench password, long enough';

export interface BigFolder {
  url: string;
  address: string;
  /** UIDs of the two large messages, the newest (so on the first page). */
  uid100k: number;
  uid5m: number;
  /** A word in the 100 KB and 5 MB messages' bodies, to wait for in the reader. */
  marker: string;
  /** Messages in the folder. */
  total: number;
  /** Wall time of the seeding, and where it went. */
  seedSeconds: number;
  seedTimes: SeedTimes;
  /** Dovecot's IMAP, and the master-user login the webmail's pooled sessions use. */
  imap: { port: number; login: string; password: string };
  /** Dovecot's master process, whose tree's CPU time is read from /proc. */
  dovecotPid(): number | undefined;
  /**
   * Forgets what Dovecot cached about the messages (dovecot.index.cache: dates for SORT, header
   * fields for ENVELOPE), as on the first visit after a migration; call with no session open.
   */
  dropDovecotCache(): Promise<void>;
  stop(): Promise<void>;
}

/** About `bytes` of ordinary text, in lines, with `marker` at its start. */
function text(bytes: number, marker: string): string {
  const line = 'Le collectif se réunit mardi pour parler du budget, des adhésions et du serveur.\r\n';
  return `${marker}\r\n${line.repeat(Math.ceil(bytes / Buffer.byteLength(line)))}`;
}

/** The word that starts the body of message `n` (its Message-ID is <bench-n@remote.example>). */
export const bodyMarker = (n: number) => `corps ${n}`;

/**
 * A mailbox whose INBOX holds `count` small messages and, newest, a 100 KB and a 5 MB one, each
 * encrypted for the owner as the inbound gateway does and stored as Dovecot's LMTP would
 * (seed-maildir.ts); giroflee's app (API and built webmail) on a free port in front of it.
 * Everything lives in a temporary folder, removed by stop().
 */
export async function bigFolder(count: number, say: (l: string) => void): Promise<BigFolder> {
  const { dir, clusterDir } = temporaryClusterDir('giroflee-bench-webmail-');
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  // Last, once every process using it has stopped.
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
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
    const stackStarting = startMailstack({
      dir: `${dir}/stack`,
      databaseUrl,
      inboundTransport: 'dovecot',
      masterUser: master,
      // Every port of the private stack free on loopback, never the defaults another stack may own.
      ports: await freeMailstackPorts(),
    });
    // Stopped even when it fails half-started.
    cleanups.push(async () => (await stackStarting.catch(() => undefined))?.stop());
    const stack: RunningMailstack = await stackStarting;
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
    const policy = (await new RecipientKeys(db, ctx.now, 0).lookup([box.address])).get(box.address);
    if (!policy?.keys.length) throw new Error('the bench mailbox has no usable key');
    say(`  mailbox ${box.address} with its key`);

    const base = Date.UTC(2026, 0, 1);
    const marker = 'marqueurdelecture';
    const bigOnes = [100 * 1024, 5 * 1024 * 1024];
    // Oldest first, a minute apart; the newest 20 small ones and the two large ones unread.
    function* seeds(): Generator<Seed> {
      for (let n = 0; n < count; n++)
        yield {
          n,
          date: new Date(base + n * 60_000),
          subject: `Message ${n} du bench`,
          body: text(1500, bodyMarker(n)),
          unread: n >= count - 20,
        };
      for (const [i, bytes] of bigOnes.entries())
        yield {
          n: count + i,
          date: new Date(base + (count + i) * 60_000),
          subject: `Grand message ${bytes} octets`,
          body: text(bytes, marker),
          unread: true,
        };
    }
    const doveadm = doveadmFor(stack.settings.paths.dovecotConfigFile);
    const started = Date.now();
    const seedTimes = await seedMaildir({
      doveadm,
      address: box.address,
      policy,
      vmail: stack.settings.vmail,
      seeds: seeds(),
      say,
    });
    const seedSeconds = (Date.now() - started) / 1000;
    // `doveadm search` prints "<mailbox GUID> <UID>" per match.
    const uidOf = async (n: number) => {
      const out = await doveadm(
        'search',
        '-u',
        box.address,
        'mailbox',
        'INBOX',
        'header',
        'Message-ID',
        `<bench-${n}@`,
      );
      const uid = Number(out.trim().split(/\s+/)[1]);
      if (!Number.isInteger(uid) || uid <= 0) throw new Error(`message ${n} not found in INBOX: ${out}`);
      return uid;
    };
    const uid100k = await uidOf(count);
    const uid5m = await uidOf(count + 1);

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
      total: count + bigOnes.length,
      seedSeconds,
      seedTimes,
      imap: { port: stack.ports.imap, login: masterLogin(box.address, master), password: master.password },
      dovecotPid: () => pidFromFile(dovecotPidFile(stack.settings.paths.dovecotBaseDir)),
      dropDovecotCache: () => fs.rm(path.join(seedTimes.maildir, 'dovecot.index.cache'), { force: true }),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
