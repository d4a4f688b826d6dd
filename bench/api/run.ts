/**
 * bench/api: seeds 1 000 collectives, 10 000 domains, 100 000 mailboxes and 20 000 aliases,
 * then measures API reads over HTTP, the exact Postfix/Dovecot lookups on the `mta` views, and
 * mailbox creation (argon2 reported apart). Run: `npm run build && node dist/bench/api/run.js`.
 * Uses DATABASE_URL when set, else a throw-away embedded PostgreSQL.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/api/app';
import { insertApiToken } from '../../src/auth/api-tokens';
import { hashPassword } from '../../src/auth/password-hash';
import { loadConfig } from '../../src/config';
import { startEmbeddedPostgres, temporaryClusterDir } from '../../src/db/embedded';
import { createDb, migrateLatest } from '../../src/db/knex';
import { Keyring } from '../../src/encryption/master-key';
import { fmt, machineLine, percentiles, timeEach } from '../lib/stats';

const COLLECTIVES = 1000;
const DOMAINS_PER_COLLECTIVE = 10;
const MAILBOXES_PER_DOMAIN = 10;
const ALIASES_PER_DOMAIN = 2;
const SAMPLES = 2000;

async function main(): Promise<void> {
  const { dir, clusterDir } = temporaryClusterDir('giroflee-bench-api-');
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres(clusterDir);
  const db = createDb(process.env.DATABASE_URL ?? embedded!.url, { min: 2, max: 10 });
  const lines: string[] = [];
  const say = (l: string) => {
    lines.push(l);
    process.stdout.write(l + '\n');
  };
  try {
    await migrateLatest(db);
    const hash = await hashPassword('benchmark password 2026');
    const t = Date.now();
    await db.raw(
      `INSERT INTO collectives (slug, name) SELECT 'c' || i, 'Collectif ' || i FROM generate_series(1, ?) i`,
      [COLLECTIVES],
    );
    await db.raw(
      `INSERT INTO domains (name, collective_id, status, verification_token)
       SELECT 'd' || c.slug || '-' || j || '.example', c.id, 'active', md5(c.slug || j)
         FROM collectives c CROSS JOIN generate_series(1, ?) j`,
      [DOMAINS_PER_COLLECTIVE],
    );
    await db.raw(
      `INSERT INTO mailboxes (domain_id, local_part, password_hash, encryption_mode)
       SELECT d.id, 'user' || k, ?, 'none' FROM domains d CROSS JOIN generate_series(1, ?) k`,
      [hash, MAILBOXES_PER_DOMAIN],
    );
    await db.raw(
      `INSERT INTO aliases (domain_id, local_part, destinations)
       SELECT d.id, 'alias' || k, ARRAY['user1@' || d.name, 'ami@ailleurs.example'] FROM domains d CROSS JOIN generate_series(1, ?) k`,
      [ALIASES_PER_DOMAIN],
    );
    await db.raw('ANALYZE');
    const counts = await db.raw(
      `SELECT (SELECT count(*) FROM collectives) c, (SELECT count(*) FROM domains) d, (SELECT count(*) FROM mailboxes) m, (SELECT count(*) FROM aliases) a`,
    );
    const seedSeconds = (Date.now() - t) / 1000;

    const ctx = {
      db,
      config: { ...loadConfig({ NODE_ENV: 'production' }) },
      keyring: new Keyring([Keyring.generateKey()]),
      now: () => new Date(),
    };
    const server = http.createServer(createApp(ctx));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const collective = await db('collectives').where({ slug: 'c500' }).first('id');
    const { token } = await insertApiToken(ctx, {
      collectiveId: collective.id,
      name: 'bench',
      createdBy: null,
    });
    const get = (p: string) =>
      new Promise<void>((resolve, reject) => {
        http
          .get(`${base}${p}`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
            if (res.statusCode !== 200) reject(new Error(`${p}: ${res.statusCode}`));
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject);
      });
    const post = (p: string, body: object) =>
      new Promise<void>((resolve, reject) => {
        const data = JSON.stringify(body);
        const req = http.request(
          `${base}${p}`,
          {
            method: 'POST',
            agent,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          },
          (res) => {
            if (res.statusCode !== 201) reject(new Error(`${p}: ${res.statusCode}`));
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', reject);
        req.end(data);
      });
    const domains: string[] = (await db('domains')
      .where({ collective_id: collective.id })
      .pluck('name')) as string[];
    const anyAddress = (i: number) =>
      `user${(i % MAILBOXES_PER_DOMAIN) + 1}@dc${(i % COLLECTIVES) + 1}-${(i % DOMAINS_PER_COLLECTIVE) + 1}.example`;

    // Warm-up, so the first connection and plan caching do not count.
    await timeEach(50, (i) => get(`/domains/${domains[i % domains.length]}`));

    const listPage = percentiles(
      await timeEach(SAMPLES, (i) => get(`/domains/${domains[i % domains.length]}/mailboxes?limit=50`)),
    );
    const getDomain = percentiles(
      await timeEach(SAMPLES, (i) => get(`/domains/${domains[i % domains.length]}`)),
    );

    // The exact lookups of the rendered Postfix maps and Dovecot SQL config.
    const pg = await db.client.acquireConnection();
    const q = (sql: string, v: string) =>
      new Promise<void>((res, rej) =>
        pg.query(sql.replace("'%s'", '$1').replace("'%u'", '$1'), [v], (e: Error) => (e ? rej(e) : res())),
      );
    const lookups: Array<[string, string, (i: number) => string]> = [
      [
        'Postfix virtual_mailbox_domains',
        `SELECT domain FROM mta.domains WHERE domain = '%s'`,
        (i) => anyAddress(i).split('@')[1],
      ],
      ['Postfix virtual_mailbox_maps', `SELECT address FROM mta.mailboxes WHERE address = '%s'`, anyAddress],
      [
        'Postfix virtual_alias_maps',
        `SELECT destination FROM mta.aliases WHERE source = '%s'`,
        (i) => anyAddress(i).replace('user', 'alias'),
      ],
      [
        'Postfix smtpd_sender_login_maps',
        `SELECT login FROM mta.sender_logins WHERE sender = '%s'`,
        anyAddress,
      ],
      [
        'Dovecot passdb',
        `SELECT address AS user, password_hash AS password FROM mta.mailboxes WHERE address = '%u'`,
        anyAddress,
      ],
      [
        'Dovecot userdb',
        `SELECT '/var/mail/' || home AS home, '*:bytes=' || quota_bytes AS quota_rule FROM mta.mailboxes WHERE address = '%u'`,
        anyAddress,
      ],
    ];
    const lookupResults = [];
    for (const [label, sql, key] of lookups) {
      await timeEach(100, (i) => q(sql, key(i * 7919)));
      lookupResults.push([
        label,
        percentiles(await timeEach(SAMPLES, (i) => q(sql, key(i * 7919)))),
      ] as const);
    }
    await db.client.releaseConnection(pg);

    const argon = percentiles(await timeEach(50, () => hashPassword('benchmark password 2026')));
    const create = percentiles(
      await timeEach(200, (i) =>
        post(`/domains/${domains[0]}/mailboxes`, {
          localPart: `new${i}`,
          password: 'benchmark password 2026',
          encryptionMode: 'none',
        }),
      ),
    );

    say(`## API (bench/api)`);
    say('');
    say(
      `${machineLine()}. Command: \`npm run build && node dist/bench/api/run.js\` (embedded PostgreSQL 17, default settings).`,
    );
    say('');
    say(
      `Seeded ${counts.rows[0].c} collectives, ${counts.rows[0].d} domains, ${counts.rows[0].m} mailboxes, ${counts.rows[0].a} aliases in ${seedSeconds.toFixed(1)} s. ${SAMPLES} samples per read, sequential, one keep-alive HTTP connection.`,
    );
    say('');
    say('| measure | p50 ms | p99 ms | max ms | goal |');
    say('|---|---|---|---|---|');
    say(
      `| GET /domains/:name/mailboxes?limit=50 | ${fmt(listPage.p50)} | ${fmt(listPage.p99)} | ${fmt(listPage.max)} | p99 < 25 |`,
    );
    say(
      `| GET /domains/:name | ${fmt(getDomain.p50)} | ${fmt(getDomain.p99)} | ${fmt(getDomain.max)} | p99 < 25 |`,
    );
    for (const [label, r] of lookupResults)
      say(`| ${label} (SQL, one connection) | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | p99 < 2 |`);
    say(
      `| POST mailbox (encryption none), whole request | ${fmt(create.p50)} | ${fmt(create.p99)} | ${fmt(create.max)} | — |`,
    );
    say(
      `| of which one argon2id hash (m=19 MiB, t=2, p=1) | ${fmt(argon.p50)} | ${fmt(argon.p99)} | ${fmt(argon.max)} | — |`,
    );
    say('');
    await new Promise<void>((r) => server.close(() => r()));
    agent.destroy();
  } finally {
    await db.destroy();
    await embedded?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
