/**
 * bench/webmail: what the web app costs a browser. Run, as root (Postfix and Dovecot):
 *   npm run bench:webmail                                     bundle sizes and a 10 000-message folder
 *   npm run build && node dist/bench/webmail/run.js --bundle-only   bundle sizes only
 * Settings (environment): BENCH_MESSAGES (10000). Uses DATABASE_URL when set, else a throw-away
 * embedded PostgreSQL.
 * Measured: the first load of each screen (files fetched, raw and gzipped) and the build's totals;
 * then, against a folder of BENCH_MESSAGES messages encrypted as the inbound gateway does and
 * stored as Dovecot's LMTP would (seed-maildir.ts): the server's first page step by step (IMAP)
 * and through the API, cold and warm, with its CPU; in Debian's Chromium the unlock and the first
 * page on screen, scrolling to the 5 000th message, a 100 KB and a 5 MB message decrypted and
 * shown, the page's heap after reading 200 messages.
 * Goals: first load under 300 KB gzipped before the crypto Worker; first page < 1 s; a 100 KB
 * message shown < 150 ms after its fetch.
 */
import { machineLine } from '../lib/stats';
import { bigFolder } from './big-folder';
import { buildTotals, measureFirstLoads } from './bundle';
import { measureReading, type ImapSteps, type Spread } from './reading';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const ms = (n: number) => n.toFixed(0);

const kb = (n: number) => (n / 1024).toFixed(1);

async function main(): Promise<void> {
  const runStarted = Date.now();
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
    const t = folder.seedTimes;
    say(
      `folder of ${folder.total} messages encrypted one by one for the mailbox's key, stored as Maildir ` +
        `files in ${t.storeSeconds.toFixed(0)} s, synced by Dovecot in ${t.indexSeconds.toFixed(1)} s`,
    );
    say('');
    const cpu = (x: Spread) => `${ms(x.giroflee)} + ${ms(x.dovecot)}`;
    const imap = (x: ImapSteps['cold']) =>
      `${ms(x.login)} / ${ms(x.select)} / ${ms(x.sort)} / ${ms(x.fetch)} ms`;
    say('| measure | wall | CPU ms, giroflee + Dovecot | goal |');
    say('|---|---|---|---|');
    say(
      `| first page, API, first visit (Dovecot cache empty) | ${ms(r.api.cold.p50)} ms | ${cpu(r.api.cold)} | < 1 s |`,
    );
    say(
      `| first page, API, new session (p50 / p95 of ${r.api.newSession.n}) | ${ms(r.api.newSession.p50)} / ${ms(r.api.newSession.p95)} ms | ${cpu(r.api.newSession)} | < 1 s |`,
    );
    say(
      `| first page, API, same session again (p50 / p95 of ${r.api.sameSession.n}) | ${ms(r.api.sameSession.p50)} / ${ms(r.api.sameSession.p95)} ms | ${cpu(r.api.sameSession)} | |`,
    );
    say(`| IMAP steps cold: login / SELECT / UID SORT / FETCH 50 | ${imap(r.imap.cold)} | | |`);
    say(`| IMAP steps warm | ${imap(r.imap.warm)} | | |`);
    say(
      `| Chromium, first visit: unlock (argon2id + key) / first page request to rows shown | ${ms(r.browser.cold.unlock)} / ${ms(r.browser.cold.list)} ms | | list < 1 s |`,
    );
    say(
      `| Chromium, next visit (Dovecot cache warm): unlock / list | ${ms(r.browser.warm.unlock)} / ${ms(r.browser.warm.list)} ms | | list < 1 s |`,
    );
    say(
      `| Chromium, reload (key restored from the session blob) to the list | ${ms(r.browser.reload)} ms | | |`,
    );
    say(
      `| scroll to message ${r.scrollTo5000.target} (windowed list, ${r.scrollTo5000.pages} pages loaded on the way) | ${ms(r.scrollTo5000.ms)} ms | | |`,
    );
    say(
      `| 100 KB message, first opening: fetch / decrypt + render after fetch | ${ms(r.open100k.fetch)} / ${ms(r.open100k.afterFetch)} ms | | < 150 ms after fetch |`,
    );
    say(
      `| 5 MB message, first opening: fetch / decrypt + render after fetch | ${ms(r.open5m.fetch)} / ${ms(r.open5m.afterFetch)} ms | | |`,
    );
    say(`| page heap after reading 200 messages (after GC) | ${r.heapAfter200.usedMB.toFixed(1)} MB | | |`);
    say(
      `| local search index, built meanwhile in the Worker | ${r.indexed.messages} messages in ${r.indexed.seconds.toFixed(0)} s | | |`,
    );
    say('');
    say(`whole run, seeding included: ${((Date.now() - runStarted) / 1000).toFixed(0)} s`);
  } finally {
    await folder.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
