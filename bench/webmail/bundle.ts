import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { chromium } from 'playwright-core';
import { mountWebApp, webAppDirectory } from '../../src/api/web-app';

export interface FirstLoad {
  screen: string;
  files: Array<{ path: string; bytes: number; gzip: number }>;
  bytes: number;
  gzip: number;
}

const gzipSize = (buf: Buffer) => zlib.gzipSync(buf, { level: 9 }).length;

/** The session /api/v1/me answers for each measured screen (null: nobody logged in). */
const SCREENS: Array<{ screen: string; url: string; me: unknown }> = [
  { screen: 'login', url: '/login', me: null },
  {
    screen: 'console landing',
    url: '/console',
    me: {
      type: 'account',
      id: 'a',
      email: 'bench@example.org',
      racine: false,
      mustChangePassword: false,
      totpEnabled: false,
      memberships: [],
    },
  },
  { screen: 'webmail landing', url: '/mail', me: { type: 'mailbox', id: 'm', address: 'bench@example.org' } },
];

/**
 * What Chromium fetches to show each screen from a cold cache, weighed as files on disk and
 * gzipped (level 9, as a reverse proxy or precompression would send them). The API is answered by
 * a stub: only the app's own files count.
 */
export async function measureFirstLoads(): Promise<FirstLoad[]> {
  const dir = webAppDirectory();
  if (!fs.existsSync(path.join(dir, 'index.html')))
    throw new Error('dist/webmail is missing: run `npm run build`');
  const app = express();
  mountWebApp(app, dir);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const out: FirstLoad[] = [];
  try {
    for (const s of SCREENS) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.route('**/api/v1/**', (route) =>
        s.me
          ? route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(s.me) })
          : route.fulfill({
              status: 401,
              contentType: 'application/json',
              body: JSON.stringify({ error: { code: 'unauthenticated', message: '', details: null } }),
            }),
      );
      const fetched = new Set<string>();
      page.on('requestfinished', (r) => {
        const u = new URL(r.url());
        if (u.origin === base && !u.pathname.startsWith('/api/')) fetched.add(u.pathname);
      });
      await page.goto(base + s.url);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      const files = [...fetched].sort().map((p) => {
        const file = path.join(dir, p === s.url || !path.extname(p) ? 'index.html' : p);
        const buf = fs.readFileSync(file);
        return { path: p, bytes: buf.length, gzip: gzipSize(buf) };
      });
      out.push({
        screen: s.screen,
        files,
        bytes: files.reduce((n, f) => n + f.bytes, 0),
        gzip: files.reduce((n, f) => n + f.gzip, 0),
      });
      await context.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  return out;
}

/** Every file of the build, by kind, raw and gzipped. */
export function buildTotals(): { js: [number, number]; css: [number, number]; other: [number, number] } {
  const dir = webAppDirectory();
  const totals = {
    js: [0, 0] as [number, number],
    css: [0, 0] as [number, number],
    other: [0, 0] as [number, number],
  };
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.vite') walk(p);
        continue;
      }
      // The precompressed copies are the same files.
      if (e.name.endsWith('.gz')) continue;
      const buf = fs.readFileSync(p);
      const kind = e.name.endsWith('.js') ? 'js' : e.name.endsWith('.css') ? 'css' : 'other';
      totals[kind][0] += buf.length;
      totals[kind][1] += gzipSize(buf);
    }
  };
  walk(dir);
  return totals;
}
