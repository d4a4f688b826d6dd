import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { APP_CSP, mountWebApp } from '../../src/api/web-app';
import { useTestApp } from '../support/app';
import { ensureWebBuild } from '../web/support/build';

describe('web app at /', () => {
  beforeAll(() => ensureWebBuild(), 120_000);
  const app = useTestApp();

  it('serves the app page with a strict CSP and no inline script', async () => {
    const res = await app.client.request('GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toBe(APP_CSP);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/'unsafe-eval'|wasm|https?:/);
    // Inline style attributes only; never inline script or <style>.
    expect(csp.match(/'unsafe-inline'/g)).toHaveLength(1);
    expect(csp).toContain("style-src-attr 'unsafe-inline'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const scripts = [...res.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/assets\//);
      expect(body.trim()).toBe('');
    }
  });

  it('answers every screen URL with the app page, so the browser routes it', async () => {
    const page = await app.client.request('GET', '/');
    for (const url of ['/login', '/console', '/console/domains/exemple.org', '/mail/inbox/42']) {
      const res = await app.client.request('GET', url);
      expect(res.status).toBe(200);
      expect(res.text).toBe(page.text);
      expect(res.headers.get('content-security-policy')).toBe(APP_CSP);
    }
  });

  it('caches hashed assets for a year and revalidates the rest', async () => {
    const page = await app.client.request('GET', '/');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1] as string;
    const res = await app.client.request('GET', asset);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-security-policy')).toBe(APP_CSP);
    const icon = await app.client.request('GET', '/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('sends the build’s gzipped copy to browsers that take gzip, the same bytes once inflated', async () => {
    const page = await app.client.request('GET', '/');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1] as string;
    const get = (encoding: string) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http
          .get(`${app.client.url}${asset}`, { headers: { 'accept-encoding': encoding } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          })
          .on('error', reject);
      });
    const plain = await get('identity');
    const gzipped = await get('gzip, deflate');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers['content-type']).toBe(plain.headers['content-type']);
    expect(gzipped.headers.vary).toMatch(/Accept-Encoding/);
    expect(gzipped.body.length).toBeLessThan(plain.body.length);
    expect(zlib.gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
  });

  it('keeps API, well-known and missing files out of the app: a JSON 404', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/nothing-here'],
      ['GET', '/api/v2/mail'],
      ['GET', '/.well-known/nothing-here'],
      ['GET', '/assets/missing-0000.js'],
      ['GET', '/api'],
      ['POST', '/console'],
    ]) {
      const res = await app.client.request(method, url);
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('does not serve the build manifest or other dotfiles', async () => {
    const res = await app.client.request('GET', '/.vite/manifest.json');
    expect(res.status).toBe(404);
  });

  it('says the app is not built rather than failing obscurely', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-web-'));
    const bare = express();
    mountWebApp(bare, empty);
    const server = http.createServer(bare);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/login`);
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/npm run build/);
    } finally {
      server.close();
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
