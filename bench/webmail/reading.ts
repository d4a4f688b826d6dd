import { chromium, type Page } from 'playwright-core';
import { percentiles } from '../lib/stats';
import { PASSWORD, type BigFolder } from './big-folder';

export interface ReadingFigures {
  apiFirstPage: { cold: number; p50: number; p99: number };
  browserFirstPage: { afterLogin: number; reload: number };
  scrollTo5000: { ms: number; pages: number; target: number };
  open100k: { fetch: number; afterFetch: number };
  open5m: { fetch: number; afterFetch: number };
  heapAfter200: { usedMB: number; totalMB: number };
  indexed: { messages: number; seconds: number };
}

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** Client-side navigation, as a click on a link does (preact-iso listens for popstate). */
async function go(page: Page, href: string): Promise<void> {
  await page.evaluate((to) => {
    history.pushState(null, '', to);
    dispatchEvent(new PopStateEvent('popstate'));
  }, href);
}

/** Waits, cheaply even for 5 MB of text, until the reader shows a text whose start matches `start`. */
async function shown(page: Page, start: string): Promise<void> {
  await page.waitForFunction(
    (s) => new RegExp(`^${s}`).test(document.querySelector('pre.mail-text')?.textContent?.slice(0, 80) ?? ''),
    start,
    { polling: 'raf' },
  );
}

/** Opens a message from the list; times its fetch and, after it, the decryption and rendering. */
async function open(page: Page, f: BigFolder, uid: number): Promise<{ fetch: number; afterFetch: number }> {
  await go(page, '/mail/f/INBOX');
  await page.locator('pre.mail-text').waitFor({ state: 'detached' });
  const path = `/folders/INBOX/messages/${uid}`;
  let fetched: bigint | undefined;
  const onFinished = (r: { url(): string }) => {
    if (r.url().endsWith(path)) fetched = process.hrtime.bigint();
  };
  page.on('requestfinished', onFinished);
  const t = process.hrtime.bigint();
  await go(page, `/mail/f/INBOX/${uid}`);
  await shown(page, f.marker);
  const done = process.hrtime.bigint();
  page.off('requestfinished', onFinished);
  if (!fetched) throw new Error(`no fetch of ${path} seen`);
  return { fetch: Number(fetched - t) / 1e6, afterFetch: Number(done - fetched) / 1e6 };
}

/**
 * The webmail in Debian's Chromium against the big folder: the first page through the API and on
 * screen, "Older messages" until the 5 000th is listed, the 100 KB and 5 MB messages opened, 200
 * messages read one after the other and the page's heap then, and how fast the local search index
 * grew meanwhile (it starts at unlock, as for a real first visit).
 */
export async function measureReading(f: BigFolder, say: (l: string) => void): Promise<ReadingFigures> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // The flat list: one row per message, so the 5 000th row is the 5 000th message.
    await context.addInitScript(() => localStorage.setItem('giroflee.mail.view', 'flat'));
    context.setDefaultTimeout(300_000);
    const page = await context.newPage();
    await page.goto(`${f.url}/login`);
    await page.getByRole('textbox', { name: 'Adresse e-mail' }).fill(f.address);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByLabel('Mot de passe de la boîte').fill(PASSWORD);
    let t = process.hrtime.bigint();
    await page.getByRole('button', { name: 'Ouvrir' }).click();
    await page.locator('.mail-list a').first().waitFor();
    const afterLogin = since(t);
    const indexStart = process.hrtime.bigint();

    // The API alone, with the session's cookie: the first request opens the pooled IMAP session.
    const api = `${f.url}/api/v1/mail/${encodeURIComponent(f.address)}/folders/INBOX/messages?limit=50`;
    const samples: number[] = [];
    for (let i = 0; i < 21; i++) {
      t = process.hrtime.bigint();
      const r = await context.request.get(api);
      if (!r.ok()) throw new Error(`first page: HTTP ${r.status()}`);
      await r.body();
      samples.push(since(t));
    }
    const warm = percentiles(samples.slice(1));
    say(`  API first page: ${samples[0].toFixed(1)} ms, then p50 ${warm.p50.toFixed(1)} ms`);

    t = process.hrtime.bigint();
    await page.reload();
    await page.locator('.mail-list a').first().waitFor();
    const reload = since(t);
    say(
      `  first page in Chromium: ${afterLogin.toFixed(0)} ms after unlocking, ${reload.toFixed(0)} ms on reload`,
    );

    const more = page.getByRole('button', { name: 'Messages plus anciens' });
    t = process.hrtime.bigint();
    let pages = 1;
    // The 5 000th, or the last of a smaller folder (BENCH_MESSAGES).
    const target = Math.min(5000, f.total);
    while ((await page.locator('.mail-list li').count()) < target) {
      await more.click();
      pages++;
      await page
        .locator('.mail-list li')
        .nth(pages * 50 - 1)
        .waitFor({ state: 'attached' });
    }
    await page
      .locator('.mail-list li')
      .nth(target - 1)
      .scrollIntoViewIfNeeded();
    const scroll = { ms: since(t), pages, target };
    say(`  to the ${target}th: ${scroll.ms.toFixed(0)} ms (${pages} pages)`);

    await page.reload();
    await page.locator('.mail-list a').first().waitFor();
    // Twice each; the second, warm, figure is the one reported (the first includes the Worker's start).
    await open(page, f, f.uid100k);
    const open100k = await open(page, f, f.uid100k);
    await open(page, f, f.uid5m);
    const open5m = await open(page, f, f.uid5m);
    say(`  100 KB: fetch ${open100k.fetch.toFixed(0)} ms, then ${open100k.afterFetch.toFixed(0)} ms`);
    say(`  5 MB: fetch ${open5m.fetch.toFixed(0)} ms, then ${open5m.afterFetch.toFixed(0)} ms`);

    // 200 messages read one after the other, as with the j key.
    const uids = (
      await (await context.request.get(api.replace('limit=50', 'limit=200'))).json()
    ).messages.map((m: { uid: number }) => m.uid) as number[];
    for (const uid of uids.slice(2, 202)) {
      await go(page, `/mail/f/INBOX/${uid}`);
      await shown(page, `corps ${uid - 1}\\b`);
    }
    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };
    const heapAfter200 = { usedMB: heap.usedSize / 2 ** 20, totalMB: heap.totalSize / 2 ** 20 };
    say(`  heap after 200 messages: ${heapAfter200.usedMB.toFixed(1)} MB used`);

    const status = await page.locator('.mail-index-status').innerText();
    const m =
      /([\d\s\u202f\u00a0]+) messages index/.exec(status) ??
      /les ([\d\s\u202f\u00a0]+) messages/.exec(status);
    const indexed = { messages: m ? Number(m[1].replace(/\D/g, '')) : 0, seconds: since(indexStart) / 1000 };
    say(`  search index meanwhile: ${status}`);
    await context.close();
    return {
      apiFirstPage: { cold: samples[0], p50: warm.p50, p99: warm.p99 },
      browserFirstPage: { afterLogin, reload },
      scrollTo5000: scroll,
      open100k,
      open5m,
      heapAfter200,
      indexed,
    };
  } finally {
    await browser.close();
  }
}
