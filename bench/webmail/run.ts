/**
 * bench/webmail: what the web app costs a browser. Run: `npm run build && node dist/bench/webmail/run.js`.
 * Today: the first load of each screen (files fetched, raw and gzipped) and the build's totals.
 * Budget: the whole webmail's first load under 300 KB gzipped, before the crypto Worker.
 */
import { machineLine } from '../lib/stats';
import { buildTotals, measureFirstLoads } from './bundle';

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
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
