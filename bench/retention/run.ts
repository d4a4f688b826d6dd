/**
 * bench/retention: the hourly retention pass on a year of audit log (BENCH_AUDIT_ROWS entries
 * spread over 400 days, each with details), ended sessions and stale failed-login counters, while
 * another connection keeps writing audit entries: how long the pass takes, and how long a writer
 * waits meanwhile (the batches must never hold the table). Then `giroflee backup` of what is left.
 * Run: `npm run build && node dist/bench/retention/run.js`.
 * Uses DATABASE_URL when set, else a throw-away embedded PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBackup } from '../../src/backup/create-backup';
import { loadConfig } from '../../src/config';
import type { AppContext } from '../../src/context';
import { startEmbeddedPostgres, temporaryClusterDir } from '../../src/db/embedded';
import { createDb, migrateLatest } from '../../src/db/knex';
import { Keyring } from '../../src/encryption/master-key';
import { scrubAuditDetails } from '../../src/audit/record-audit';
import { runRetention } from '../../src/retention/retention-job';
import { fmt, machineLine, percentiles, timeEach } from '../lib/stats';

const AUDIT_ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 1_000_000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000);
const DAY = 24 * 3600_000;

async function main(): Promise<void> {
  const { dir, clusterDir } = temporaryClusterDir('giroflee-bench-retention-');
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres(clusterDir);
  const db = createDb(process.env.DATABASE_URL ?? embedded!.url, { min: 2, max: 10 });
  const mailRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-bench-mail-'));
  const backupDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-bench-backup-')), 'b');
  const base = loadConfig({ NODE_ENV: 'production' });
  const ctx: AppContext = {
    db,
    config: { ...base, monitor: { ...base.monitor, mailRoot } },
    keyring: new Keyring([Keyring.generateKey()]),
    now: () => new Date(),
  };
  try {
    await migrateLatest(db);
    const t0 = Date.now();
    const [account] = await db('accounts')
      .insert({ email: 'bench@bench.example', password_hash: 'x', is_racine: true })
      .returning('id');
    await db.raw(
      `INSERT INTO audit_log (at, actor_type, actor_label, action, target_type, details)
       SELECT now() - (i::float / ? * 400) * interval '1 day', 'system', 'bench', 'mailbox.update',
              'mailbox', '{"displayName": {"before": "Alice", "after": "Alice B."}}'::jsonb
         FROM generate_series(1, ?) i`,
      [AUDIT_ROWS, AUDIT_ROWS],
    );
    await db.raw(
      `INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at)
       SELECT md5(i::text), ?, now() - interval '30 days', now() - interval '20 days',
              now() - (i % 20) * interval '1 day'
         FROM generate_series(1, ?) i`,
      [account.id, SESSIONS],
    );
    await db.raw(
      `INSERT INTO login_throttle (key_hash, failures, updated_at)
       SELECT md5('t' || i), 3, now() - (i % 20) * interval '1 day' FROM generate_series(1, ?) i`,
      [SESSIONS],
    );
    await db.raw('ANALYZE');
    const seedSeconds = (Date.now() - t0) / 1000;

    // A writer beside the pass, as the API would be: one audit entry at a time.
    const waits: number[] = [];
    let passing = true;
    const writer = (async () => {
      while (passing) {
        const t = process.hrtime.bigint();
        await db('audit_log').insert({
          actor_type: 'system',
          actor_label: 'bench',
          action: 'mailbox.update',
          target_type: 'mailbox',
          details: '{}',
        });
        waits.push(Number(process.hrtime.bigint() - t) / 1e6);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const t1 = Date.now();
    const done = await runRetention(ctx);
    const passSeconds = (Date.now() - t1) / 1000;
    passing = false;
    await writer;
    const t2 = Date.now();
    await runRetention(ctx);
    const idleSeconds = (Date.now() - t2) / 1000;

    // What the partial index on the details still to empty saves each pass, once a year is emptied.
    const before = new Date(Date.now() - ctx.config.retention.trafficDays * DAY);
    // As autovacuum leaves the table some time after the pass's updates.
    await db.raw('VACUUM ANALYZE audit_log');
    const scrub = async () => percentiles(await timeEach(10, () => scrubAuditDetails(ctx, before, 5000)));
    const withIndex = await scrub();
    await db.raw('DROP INDEX audit_log_details_at');
    const withoutIndex = await scrub();
    await db.raw(`CREATE INDEX audit_log_details_at ON audit_log (at) WHERE details <> '{}'::jsonb`);

    const t3 = Date.now();
    const backup = await createBackup(ctx, { dir: backupDir });
    const backupSeconds = (Date.now() - t3) / 1000;

    const w = percentiles(waits);
    const removed = Object.entries(done ?? {})
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const out = [
      `Measured ${machineLine()}.`,
      ``,
      `| what | figure | goal |`,
      `|---|---|---|`,
      `| first retention pass: ${AUDIT_ROWS} audit entries over 400 days, ${SESSIONS} sessions, ${SESSIONS} failed-login counters | ${passSeconds.toFixed(1)} s (${removed}) | well under the hour between passes |`,
      `| an audit write during that pass (p50 / p99 / max of ${w.n}) | ${fmt(w.p50)} / ${fmt(w.p99)} / ${fmt(w.max)} ms | no wait on the pass |`,
      `| the next pass, nothing to do | ${(idleSeconds * 1000).toFixed(0)} ms | |`,
      `| then, vacuumed: its search for details to empty, p50 of 10, with the partial index / without | ${fmt(withIndex.p50)} / ${fmt(withoutIndex.p50)} ms | |`,
      `| giroflee backup of what is left (${backup.databaseRows} rows, ${backup.tables} tables) | ${backupSeconds.toFixed(1)} s, ${(backup.bytes / 2 ** 20).toFixed(1)} MiB | |`,
      ``,
      `Seeding took ${seedSeconds.toFixed(1)} s; retention ${ctx.config.retention.trafficDays} days for traffic, ${ctx.config.retention.auditDays} for the audit log.`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await db.destroy();
    await embedded?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(mailRoot, { recursive: true, force: true });
    fs.rmSync(path.dirname(backupDir), { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exitCode = 1;
});
