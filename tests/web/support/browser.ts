import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Config } from '../../../src/config';
import { createTestContext, type TestContext } from '../../support/context';
import { startTestApp, type TestClient } from '../../support/http';
import { freePorts } from '../../support/mailstack';
import { ensureWebBuild } from './build';

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium, never a downloaded one; Playwright adds --no-sandbox itself. */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing (${CHROMIUM}): the browser tests need Debian's chromium package. ` +
        'Run `npm test` as root on Debian (scripts/test-prerequisites.js installs it) or `apt-get install chromium`.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface PageOptions {
  language?: 'fr' | 'en';
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
}

/** A page plus what went wrong in it: script errors, CSP violations, requests to another origin. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /**
   * Throws when the page logged an error, broke its CSP, reached for another origin, or got a
   * server error; `expected` names API paths whose errors the test provoked on purpose.
   */
  assertClean(expected?: RegExp): void;
  close(): Promise<void>;
}

export interface WebApp {
  readonly ctx: TestContext;
  readonly client: TestClient;
  readonly url: string;
  newPage(options?: PageOptions): Promise<WatchedPage>;
  /** Runs `stop` at the end of the file, before the server and database go (a DNS world). */
  beforeStop(stop: () => Promise<void>): void;
}

/**
 * The real app (API and built front end) on a free port with a fresh database, and one Chromium
 * for the whole test file. The clock starts at the real now: the browser drops a session cookie
 * whose expiry, computed from the test clock, is already in the past.
 */
export function useWebApp(overrides: Partial<Config> = {}): WebApp {
  // A browser test walks many screens, and the machine may be shared: generous, event-driven bounds.
  jest.setTimeout(180_000);
  let ctx: TestContext | undefined;
  let client: TestClient | undefined;
  let browser: Browser | undefined;
  const stops: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    ensureWebBuild();
    ctx = await createTestContext(overrides);
    ctx.clock.set(new Date());
    // No mail stack unless a test starts one: a free port nobody listens on, never the defaults
    // (another stack on this machine may own them).
    const [nobody] = await freePorts(1);
    ctx.config.webmail = {
      ...ctx.config.webmail,
      imap: { host: '127.0.0.1', port: nobody },
      submission: { host: '127.0.0.1', port: nobody },
    };
    client = await startTestApp(ctx);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await browser?.close();
    await client?.close();
    await ctx?.destroy();
  });
  const ready = <T>(v: T | undefined): T => {
    if (!v) throw new Error('useWebApp: used outside a test (before beforeAll ran)');
    return v;
  };
  return {
    get ctx() {
      return ready(ctx);
    },
    get client() {
      return ready(client);
    },
    get url() {
      return ready(client).url;
    },
    beforeStop(stop) {
      stops.push(stop);
    },
    async newPage(options = {}) {
      const url = ready(client).url;
      const context = await ready(browser).newContext({
        colorScheme: options.colorScheme ?? 'light',
        viewport: options.viewport ?? { width: 1280, height: 800 },
        storageState: options.language
          ? {
              cookies: [],
              origins: [
                { origin: url, localStorage: [{ name: 'giroflee.language', value: options.language }] },
              ],
            }
          : undefined,
      });
      context.setDefaultTimeout(60_000);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        // Chromium logs every HTTP error as "Failed to load resource"; responses are judged below.
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
          problems.push(`console: ${m.text()}`);
        }
      });
      page.on('response', (r) => {
        // API refusals (401 before login, 400 for a weak password) are answers the tests check;
        // a missing asset or a server error is a fault.
        const api = r.url().startsWith(`${url}/api/`);
        if (r.status() >= (api ? 500 : 400)) problems.push(`HTTP ${r.status()} for ${r.url()}`);
      });
      page.on('request', (r) => {
        if (!r.url().startsWith(url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) {
          problems.push(`request to another origin: ${r.url()}`);
        }
      });
      return {
        page,
        context,
        assertClean(expected) {
          const left = problems.filter((p) => !(expected && p.startsWith('HTTP 5') && expected.test(p)));
          if (left.length) throw new Error(left.join('\n'));
        },
        close: () => context.close(),
      };
    },
  };
}
