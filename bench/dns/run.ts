/**
 * bench/dns: 10 000 domains served by a local dns2 server (its own process), all re-checked the
 * way the scheduled job does (recheckDomain, production concurrency), then one domain's full
 * check timed alone. Run: `npm run build && node dist/bench/dns/run.js`.
 * Uses DATABASE_URL when set, else a throw-away embedded PostgreSQL.
 */
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import type { AppContext } from '../../src/context';
import { startEmbeddedPostgres, temporaryClusterDir } from '../../src/db/embedded';
import { createDb, migrateLatest } from '../../src/db/knex';
import { checkDomain } from '../../src/dns/check-domain';
import { DkimKeyRow, generateDkimKeyPair } from '../../src/dns/dkim-keys';
import { eachLimited, recheckDomain } from '../../src/dns/dns-jobs';
import { platformZoneRecords } from '../../src/dns/platform-zone';
import { PlannedRecord, recordPlan } from '../../src/dns/record-plan';
import { createResolver, DnsRecord } from '../../src/dns/resolver';
import type { DomainRow } from '../../src/domains/find-domain';
import { envelopeContext, wrapSecret } from '../../src/encryption/envelope';
import { Keyring } from '../../src/encryption/master-key';
import { fmt, machineLine, percentiles, timeEach } from '../lib/stats';

const DOMAINS = Number(process.env.BENCH_DNS_DOMAINS ?? 10000);
const SINGLE_SAMPLES = 50;

function published(plan: PlannedRecord[]): DnsRecord[] {
  return plan.map((r): DnsRecord => {
    const base = { name: r.name, ttl: r.ttl };
    if (r.type === 'MX') {
      const [priority, exchange] = r.value.split(' ');
      return { ...base, type: 'MX', value: { priority: Number(priority), exchange } };
    }
    if (r.type === 'SRV') {
      const [priority, weight, port, target] = r.value.split(' ');
      return { ...base, type: 'SRV', value: { priority: +priority, weight: +weight, port: +port, target } };
    }
    if (r.type === 'CNAME') return { ...base, type: 'CNAME', value: r.value };
    return { ...base, type: 'TXT', value: r.value.match(/.{1,255}/g) ?? [''] };
  });
}

async function main(): Promise<void> {
  const { dir, clusterDir } = temporaryClusterDir('giroflee-bench-dns-');
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres(clusterDir);
  const db = createDb(process.env.DATABASE_URL ?? embedded!.url, { min: 2, max: 20 });
  const config = loadConfig({ NODE_ENV: 'production', GIROFLEE_SENDING_IPS: '192.0.2.10' });
  const keyring = new Keyring([Keyring.generateKey()]);
  let child: ReturnType<typeof fork> | undefined;
  try {
    await migrateLatest(db);
    const t0 = Date.now();
    const [collective] = await db('collectives').insert({ slug: 'bench', name: 'Bench' }).returning('id');
    await db.raw(
      `INSERT INTO domains (name, collective_id, status, verification_token)
       SELECT 'd' || i || '.bench.example', ?, 'active', md5(i::text) FROM generate_series(1, ?) i`,
      [collective.id, DOMAINS],
    );
    // One key pair for every domain: generating 10 000 RSA keys would only measure OpenSSL.
    const pair = await generateDkimKeyPair('rsa');
    const domains: DomainRow[] = await db('domains').orderBy('name');
    for (let i = 0; i < domains.length; i += 1000) {
      await db('dkim_keys').insert(
        domains.slice(i, i + 1000).map((d) => {
          const id = crypto.randomUUID();
          return {
            id,
            domain_id: d.id,
            selector: 'giroflee1',
            algorithm: 'rsa',
            mode: 'delegated',
            public_key: pair.publicKey,
            private_key: wrapSecret(
              keyring,
              pair.privateKeyPem,
              envelopeContext('dkim_keys', 'private_key', id),
            ),
            state: 'active',
            activated_at: new Date(),
          };
        }),
      );
    }
    const keys: DkimKeyRow[] = await db('dkim_keys');
    const keysOf = new Map(keys.map((k) => [k.domain_id, [k]]));
    const auth: DnsRecord[] = [];
    const recursive: DnsRecord[] = [
      { name: 'ns1.bench.test', ttl: 300, type: 'A', value: '127.0.0.2' },
      { name: config.dns.spfInclude, ttl: 300, type: 'TXT', value: ['v=spf1 ip4:192.0.2.10 -all'] },
      ...(await platformZoneRecords({ db, config, keyring, now: () => new Date() })),
    ];
    for (const d of domains) {
      const records = published(recordPlan(config.dns, d, keysOf.get(d.id) ?? []));
      auth.push(...records);
      recursive.push(...records, { name: d.name, ttl: 300, type: 'NS', value: 'ns1.bench.test' });
    }
    const file = path.join(dir, 'zones.json');
    fs.writeFileSync(file, JSON.stringify({ recursive, auth }));
    const seedSeconds = (Date.now() - t0) / 1000;

    child = fork(path.join(__dirname, 'zone-process.js'), [file], { stdio: 'inherit' });
    const port = await new Promise<number>((resolve, reject) => {
      child!.once('message', (m: { port: number }) => resolve(m.port));
      child!.once('exit', (code) => reject(new Error(`zone process exited ${code}`)));
    });
    const resolver = createResolver({
      servers: [{ host: '127.0.0.1', port }],
      authPort: port,
      timeoutMs: config.dns.timeoutMs,
      // The benchmark's nameservers live on loopback.
      privateNameservers: ['127.0.0.0/8'],
    });
    const ctx: AppContext = {
      db,
      config: { ...config, dnsServers: [{ host: '127.0.0.1', port }] },
      keyring,
      now: () => new Date(),
      resolver,
      notifier: { send: async () => undefined },
    };

    const statuses = new Map<string, number>();
    const t1 = Date.now();
    await eachLimited(domains, config.dns.recheckConcurrency, async (d) => {
      const report = await recheckDomain(ctx, d);
      statuses.set(report.status, (statuses.get(report.status) ?? 0) + 1);
    });
    const seconds = (Date.now() - t1) / 1000;
    const queries = resolver.queriesSent;

    const one = domains[Math.floor(domains.length / 2)];
    await checkDomain(ctx, one);
    const single = percentiles(await timeEach(SINGLE_SAMPLES, () => checkDomain(ctx, one)));
    const perCheck = Math.round((resolver.queriesSent - queries) / (SINGLE_SAMPLES + 1));

    const out = [
      `Measured ${machineLine()}.`,
      ``,
      `| what | figure | goal |`,
      `|---|---|---|`,
      `| re-check of ${DOMAINS} domains, concurrency ${config.dns.recheckConcurrency} | ${seconds.toFixed(1)} s (${(DOMAINS / seconds).toFixed(0)} domains/s) | < 60 s |`,
      `| DNS queries during the re-check | ${queries} (${(queries / seconds).toFixed(0)} queries/s) | |`,
      `| results | ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')} | all ok |`,
      `| one domain's full check, alone (p50 / p99 / max of ${SINGLE_SAMPLES}) | ${fmt(single.p50)} / ${fmt(single.p99)} / ${fmt(single.max)} ms, ${perCheck} queries | < 150 ms |`,
      ``,
      `Seeding (domains, keys, zone files) took ${seedSeconds.toFixed(1)} s.`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    child?.disconnect();
    await db.destroy();
    await embedded?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exitCode = 1;
});
