import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { ImapFlow } from 'imapflow';
import { summaries } from '../../src/mail/mail-store';
import { sortedUids } from '../../src/mail/uid-sort';
import { treeCpuSeconds } from '../lib/cpu';
import { bodyMarker, PASSWORD, type BigFolder } from './big-folder';

/** Wall times in ms; CPU in ms per request, from /proc (Dovecot's tree) and process.cpuUsage (giroflee). */
export interface Spread {
  n: number;
  p50: number;
  p95: number;
  giroflee: number;
  dovecot: number;
}

/** In Chromium: from "Open" to the first page's request (unlock), then from it to the rows shown. */
export interface Visit {
  unlock: number;
  list: number;
}

export interface ReadingFigures {
  api: { cold: Spread; newSession: Spread; sameSession: Spread };
  imap: ImapSteps;
  browser: { cold: Visit; warm: Visit; reload: number };
  scrollTo5000: { ms: number; pages: number; target: number };
  open100k: { fetch: number; afterFetch: number };
  open5m: { fetch: number; afterFetch: number };
  heapAfter200: { usedMB: number; totalMB: number };
  indexed: { messages: number; seconds: number };
}

/** The server's first page, step by step straight against Dovecot, cold (cache dropped) then warm. */
export interface ImapSteps {
  cold: Record<'login' | 'select' | 'sort' | 'fetch', number>;
  warm: Record<'login' | 'select' | 'sort' | 'fetch', number>;
}

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

function spread(samples: Array<{ ms: number; giroflee: number; dovecot: number }>): Spread {
  const s = samples.map((x) => x.ms).sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const mean = (k: 'giroflee' | 'dovecot') => samples.reduce((n, x) => n + x[k], 0) / samples.length;
  return { n: s.length, p50: at(0.5), p95: at(0.95), giroflee: mean('giroflee'), dovecot: mean('dovecot') };
}

/** A request's wall time and the CPU giroflee (this process) and Dovecot spent meanwhile. */
async function timed(f: BigFolder, fn: () => Promise<void>) {
  const dovecot = () => treeCpuSeconds({ d: f.dovecotPid() }).d ?? 0;
  const d0 = dovecot();
  const c0 = process.cpuUsage();
  const t = process.hrtime.bigint();
  await fn();
  const ms = since(t);
  const c = process.cpuUsage(c0);
  return { ms, giroflee: (c.user + c.system) / 1000, dovecot: (dovecot() - d0) * 1000 };
}

/** Logs in through the API; returns the session cookie. */
async function apiLogin(f: BigFolder): Promise<string> {
  const r = await fetch(`${f.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: f.address, password: PASSWORD }),
  });
  if (!r.ok) throw new Error(`login: HTTP ${r.status}`);
  return (r.headers.get('set-cookie') ?? '').split(';')[0];
}

async function apiLogout(f: BigFolder, cookie: string): Promise<void> {
  await fetch(`${f.url}/api/v1/session`, {
    method: 'DELETE',
    headers: { cookie, 'x-giroflee-csrf': '1' },
  });
}

const firstPageUrl = (f: BigFolder, limit = 50) =>
  `${f.url}/api/v1/mail/${encodeURIComponent(f.address)}/folders/INBOX/messages?limit=${limit}`;

async function firstPage(f: BigFolder, cookie: string): Promise<void> {
  const r = await fetch(firstPageUrl(f), { headers: { cookie } });
  if (!r.ok) throw new Error(`first page: HTTP ${r.status}`);
  await r.arrayBuffer();
}

/**
 * The API's first page: a new session on a cold Dovecot cache (the first visit after a
 * migration), new sessions once Dovecot has cached the dates and envelopes (a daily visit: IMAP
 * login, SELECT, UID SORT, FETCH of 50), then the same page again in one session (the sorted
 * UIDs are kept per connection: FETCH only).
 */
async function measureApi(f: BigFolder): Promise<ReadingFigures['api']> {
  await f.dropDovecotCache();
  let cookie = await apiLogin(f);
  const cold = spread([await timed(f, () => firstPage(f, cookie))]);
  await apiLogout(f, cookie);
  const fresh = [];
  for (let i = 0; i < 10; i++) {
    cookie = await apiLogin(f);
    fresh.push(await timed(f, () => firstPage(f, cookie)));
    if (i < 9) await apiLogout(f, cookie);
  }
  const same = [];
  for (let i = 0; i < 20; i++) same.push(await timed(f, () => firstPage(f, cookie)));
  await apiLogout(f, cookie);
  return { cold, newSession: spread(fresh), sameSession: spread(same) };
}

/** Each step of the server's first page, on its own IMAP connection as the pool opens one. */
async function imapSteps(f: BigFolder): Promise<ReadingFigures['imap']> {
  const round = async () => {
    let t = process.hrtime.bigint();
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: f.imap.port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: f.imap.login, pass: f.imap.password },
      qresync: true,
      logger: false,
    });
    await client.connect();
    const login = since(t);
    t = process.hrtime.bigint();
    const lock = await client.getMailboxLock('INBOX');
    const select = since(t);
    try {
      t = process.hrtime.bigint();
      const uids = await sortedUids(client, 'date');
      const sort = since(t);
      t = process.hrtime.bigint();
      await summaries(client, uids.slice(0, 50));
      return { login, select, sort, fetch: since(t) };
    } finally {
      lock.release();
      await client.logout();
    }
  };
  await f.dropDovecotCache();
  const cold = await round();
  await round();
  return { cold, warm: await round() };
}

/** Client-side navigation, as a click on a link does (preact-iso listens for popstate). */
async function go(page: Page, href: string): Promise<void> {
  await page.evaluate((to) => {
    history.pushState(null, '', to);
    dispatchEvent(new PopStateEvent('popstate'));
  }, href);
}

/**
 * Waits, cheaply even for 5 MB of text, until the reader shows a text whose start matches
 * `start`; returns when it saw it on the browser's clock (ms since the epoch).
 */
async function shown(page: Page, start: string): Promise<number> {
  const seen = await page.waitForFunction(
    (s) =>
      new RegExp(`^${s}`).test(document.querySelector('pre.mail-text')?.textContent?.slice(0, 80) ?? '') &&
      performance.timeOrigin + performance.now(),
    start,
    { polling: 'raf' },
  );
  return (await seen.jsonValue()) as number;
}

/**
 * Opens a message from the list; times its fetch (the Worker's request, from its start to its
 * last byte) and, after it, the decryption and rendering until the text is on screen, both on
 * the browser's clock: Playwright's events reach this process later than they happen.
 */
async function open(
  page: Page,
  f: BigFolder,
  uid: number,
  marker = f.marker,
): Promise<{ fetch: number; afterFetch: number }> {
  await go(page, '/mail/f/INBOX');
  await page.locator('pre.mail-text').waitFor({ state: 'detached' });
  const path = `/folders/INBOX/messages/${uid}`;
  const finished = page.waitForEvent('requestfinished', { predicate: (r) => r.url().endsWith(path) });
  await go(page, `/mail/f/INBOX/${uid}`);
  const done = await shown(page, marker);
  const timing = (await finished).timing();
  return { fetch: timing.responseEnd, afterFetch: done - (timing.startTime + timing.responseEnd) };
}

/**
 * Logs in and unlocks in a new browser context. Timed: from "Open" to the first page's request
 * (argon2id and the key's decryption in the Worker, then the mailbox screen's start), and from
 * that request to the first row on screen (the server's first page, then the list's render).
 */
async function visit(
  browser: Browser,
  f: BigFolder,
): Promise<{ context: BrowserContext; page: Page; visit: Visit }> {
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
  let requested: bigint | undefined;
  const onRequest = (r: Request) => {
    if (!requested && /\/folders\/INBOX\/messages\?limit=50$/.test(r.url()))
      requested = process.hrtime.bigint();
  };
  page.on('request', onRequest);
  const t = process.hrtime.bigint();
  await page.getByRole('button', { name: 'Ouvrir' }).click();
  await page.locator('.mail-list a').first().waitFor();
  const shown = process.hrtime.bigint();
  page.off('request', onRequest);
  if (!requested) throw new Error('no first-page request seen');
  return {
    context,
    page,
    visit: { unlock: Number(requested - t) / 1e6, list: Number(shown - requested) / 1e6 },
  };
}

/**
 * The webmail in Debian's Chromium against the big folder: the first page through the API and on
 * screen, "Older messages" until the 5 000th is listed, the 100 KB and 5 MB messages opened, 200
 * messages read one after the other and the page's heap then, and how fast the local search index
 * grew meanwhile (it starts at unlock, as for a real first visit).
 */
export async function measureReading(f: BigFolder, say: (l: string) => void): Promise<ReadingFigures> {
  const imap = await imapSteps(f);
  const steps = (s: ImapSteps['cold']) =>
    `login ${s.login.toFixed(0)}, SELECT ${s.select.toFixed(0)}, UID SORT ${s.sort.toFixed(0)}, FETCH 50 ${s.fetch.toFixed(0)} ms`;
  say(`  IMAP, cold: ${steps(imap.cold)}; warm: ${steps(imap.warm)}`);
  const api = await measureApi(f);
  say(
    `  API first page: cold ${api.cold.p50.toFixed(0)} ms, new session p50 ${api.newSession.p50.toFixed(0)} ms, ` +
      `same session p50 ${api.sameSession.p50.toFixed(0)} ms`,
  );

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
    // The first visit on a cold Dovecot cache; logged out after, so its session's IMAP connection
    // and search indexing stop.
    await f.dropDovecotCache();
    const first = await visit(browser, f);
    await first.context.request.delete(`${f.url}/api/v1/session`, { headers: { 'x-giroflee-csrf': '1' } });
    await first.context.close();
    const { context, page, visit: warm } = await visit(browser, f);
    const indexStart = process.hrtime.bigint();
    say(
      `  Chromium: cold unlock ${first.visit.unlock.toFixed(0)} + list ${first.visit.list.toFixed(0)} ms; ` +
        `warm unlock ${warm.unlock.toFixed(0)} + list ${warm.list.toFixed(0)} ms`,
    );

    let t = process.hrtime.bigint();
    await page.reload();
    await page.locator('.mail-list a').first().waitFor();
    const reload = since(t);
    say(`  reload (key restored from the session blob) to the list: ${reload.toFixed(0)} ms`);

    // Scrolled to the end of what is loaded, again and again: the list asks for the next page
    // (200 messages) as the end nears and renders only the rows in view.
    let pages = 1;
    const onPage = (r: Request) => {
      if (/\/folders\/INBOX\/messages\?.*anchor=/.test(r.url())) pages++;
    };
    page.on('request', onPage);
    t = process.hrtime.bigint();
    // The 5 000th, or the last of a smaller folder (BENCH_MESSAGES).
    const target = Math.min(5000, f.total);
    const row = page.locator(`ul.mail-list-windowed > li[aria-posinset="${target}"]`);
    // Only the rows in view are in the page: down to the end of what is loaded until the target is
    // loaded, then to the target's place (rows are one height each, placed by their index).
    const lastInPage = () =>
      page.evaluate(() =>
        Math.max(
          0,
          ...Array.from(document.querySelectorAll('ul.mail-list-windowed > li')).map((li) =>
            Number(li.getAttribute('aria-posinset')),
          ),
        ),
      );
    while ((await lastInPage()) < target) {
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await page.waitForFunction(() => new Promise((r) => requestAnimationFrame(() => r(true))));
    }
    await page.evaluate((n) => {
      const ul = document.querySelector('ul.mail-list-windowed')!;
      const height = (ul.firstElementChild as HTMLElement).offsetHeight;
      window.scrollTo(0, window.scrollY + ul.getBoundingClientRect().top + (n - 1) * height);
    }, target);
    await row.waitFor();
    page.off('request', onPage);
    const scroll = { ms: since(t), pages, target };
    const rendered = await page.locator('ul.mail-list-windowed > li').count();
    say(`  to the ${target}th: ${scroll.ms.toFixed(0)} ms (${pages} pages, ${rendered} rows in the page)`);

    await page.reload();
    await page.locator('.mail-list a').first().waitFor();
    // The small messages of the first pages, newest first, with the marker their bodies start with.
    const list = async (query: string) =>
      (await (await context.request.get(firstPageUrl(f).replace('limit=50', query))).json()) as {
        messages: Array<{ uid: number; messageId: string }>;
        next: number | null;
      };
    const head = await list('limit=200');
    const rest = head.next ? (await list(`limit=2&anchor=${head.next}`)).messages : [];
    const small = [...head.messages, ...rest]
      .filter((m) => m.uid !== f.uid100k && m.uid !== f.uid5m)
      .map((m) => ({
        uid: m.uid,
        marker: `${bodyMarker(Number(/<bench-(\d+)@/.exec(m.messageId)?.[1]))}\\b`,
      }));

    // Each opened once, as a person opens a new message: nothing of it is in the page yet. A
    // small one first, so that the Worker's decryption code is warm, as after any first message.
    await open(page, f, small[0].uid, small[0].marker);
    const open100k = await open(page, f, f.uid100k);
    const open5m = await open(page, f, f.uid5m);
    say(`  100 KB: fetch ${open100k.fetch.toFixed(0)} ms, then ${open100k.afterFetch.toFixed(0)} ms`);
    say(`  5 MB: fetch ${open5m.fetch.toFixed(0)} ms, then ${open5m.afterFetch.toFixed(0)} ms`);

    // 200 small messages read one after the other, newest first, as with the j key.
    for (const m of small.slice(0, 200)) {
      await go(page, `/mail/f/INBOX/${m.uid}`);
      await shown(page, m.marker);
    }
    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };
    const heapAfter200 = { usedMB: heap.usedSize / 2 ** 20, totalMB: heap.totalSize / 2 ** 20 };
    say(`  heap after ${Math.min(200, small.length)} messages: ${heapAfter200.usedMB.toFixed(1)} MB used`);

    const status = await page.locator('.mail-index-status').innerText();
    const m =
      /([\d\s\u202f\u00a0]+) messages index/.exec(status) ??
      /les ([\d\s\u202f\u00a0]+) messages/.exec(status);
    const indexed = { messages: m ? Number(m[1].replace(/\D/g, '')) : 0, seconds: since(indexStart) / 1000 };
    say(`  search index meanwhile: ${status}`);
    await context.close();
    return {
      api,
      imap,
      browser: { cold: first.visit, warm, reload },
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
