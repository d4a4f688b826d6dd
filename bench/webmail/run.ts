/**
 * bench/webmail: what the web app costs a browser. Run, as root (Postfix and Dovecot):
 *   npm run build && node dist/bench/webmail/run.js            bundle sizes and a 10 000-message folder
 *   node dist/bench/webmail/run.js --bundle-only               bundle sizes only
 * Settings (environment): BENCH_MESSAGES (10000). Uses DATABASE_URL when set, else a throw-away
 * embedded PostgreSQL.
 * Measured: the first load of each screen (files fetched, raw and gzipped) and the build's totals;
 * then, in Debian's Chromium against a folder of BENCH_MESSAGES encrypted messages APPENDed
 * straight into Dovecot, the first page (API and on screen), scrolling to the 5 000th message, a
 * 100 KB and a 5 MB message decrypted and shown, the page's heap after reading 200 messages.
 * Goals: first load under 300 KB gzipped before the crypto Worker; first page < 1 s; a 100 KB
 * message shown < 150 ms after its fetch.
 */
import { machineLine } from '../lib/stats';
import { bigFolder } from './big-folder';
import { buildTotals, measureFirstLoads } from './bundle';
import { measureReading } from './reading';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const ms = (n: number) => n.toFixed(0);

const kb = (n: number) => (n / 1024).toFixed(1);

async function main(): Promise<void> {
  const say = (l: string) => process.stdout.write(l + '\n');
  say(machineLine());
  say('');
  say('| first load of | files | raw KB | gzip KB |');
  say('|---|---|---|---|');
  for (const load of await measureFirstLoads()) {
    say(`| ${load.screen} | ${load.files.length} | ${kb(load.bytes)} | ${kb(load.gzip)} |`);
  }
  const totals = buildTotals();
  say('');
  say(
    `whole build: JS ${kb(totals.js[0])} KB (${kb(totals.js[1])} gzip), CSS ${kb(totals.css[0])} KB ` +
      `(${kb(totals.css[1])} gzip), other ${kb(totals.other[0])} KB`,
  );
  if (process.argv.includes('--bundle-only')) return;

  say('');
  const folder = await bigFolder(MESSAGES, (l) => process.stderr.write(l + '\n'));
  // Interrupted: PostgreSQL, Postfix and Dovecot stop with it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void folder.stop().finally(() => process.exit(130)));
  }
  try {
    const r = await measureReading(folder, (l) => process.stderr.write(l + '\n'));
    const n = MESSAGES + 2;
    say(
      `folder of ${n} encrypted messages (APPEND through the master user: ${folder.appendSeconds.toFixed(0)} s)`,
    );
    say('');
    say('| measure | figure | goal |');
    say('|---|---|---|');
    say(
      `| first page, API (50 summaries), first request of the session | ${ms(r.apiFirstPage.cold)} ms | < 1 s |`,
    );
    say(
      `| first page, API, next 20 (p50 / p99) | ${ms(r.apiFirstPage.p50)} / ${ms(r.apiFirstPage.p99)} ms | < 1 s |`,
    );
    say(
      `| first page in Chromium, from "Open" (unlock) to the list | ${ms(r.browserFirstPage.afterLogin)} ms | < 1 s |`,
    );
    say(
      `| first page in Chromium, reload (key restored from the session blob) | ${ms(r.browserFirstPage.reload)} ms | < 1 s |`,
    );
    say(
      `| scroll to message ${r.scrollTo5000.target} ("Older messages" × ${r.scrollTo5000.pages - 1}) | ${ms(r.scrollTo5000.ms)} ms | |`,
    );
    say(
      `| 100 KB message: fetch / decrypt + render after fetch | ${ms(r.open100k.fetch)} / ${ms(r.open100k.afterFetch)} ms | < 150 ms after fetch |`,
    );
    say(
      `| 5 MB message: fetch / decrypt + render after fetch | ${ms(r.open5m.fetch)} / ${ms(r.open5m.afterFetch)} ms | |`,
    );
    say(`| page heap after reading 200 messages (after GC) | ${r.heapAfter200.usedMB.toFixed(1)} MB | |`);
    say(
      `| local search index, built meanwhile in the Worker | ${r.indexed.messages} messages in ${r.indexed.seconds.toFixed(0)} s | |`,
    );
  } finally {
    await folder.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
