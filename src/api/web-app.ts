import fs from 'node:fs';
import path from 'node:path';
import express, { type Express, type RequestHandler, type Response } from 'express';
import { errors } from '../errors';

/**
 * The page's Content Security Policy: only this origin, no inline script, no plugin, no <base>,
 * forms post only here, and no other site may frame the app (clickjacking). The webmail's
 * message viewer adds its own, stricter policy to the frame it renders mail in.
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // Style attributes only (mail HTML is full of them; they run nothing). <style> elements and
  // stylesheets stay same-origin, so no injected sheet can read the page by selectors.
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The crypto Worker's policy: the same, plus WebAssembly compilation (hash-wasm's argon2id).
 * 'wasm-unsafe-eval' allows compiling WebAssembly only, never evaluating JavaScript strings.
 */
export const WORKER_CSP = APP_CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'");
const WORKER = /^crypto-worker-[\w-]+\.js$/;

const APP_HEADERS: Record<string, string> = {
  'Content-Security-Policy': APP_CSP,
  // For browsers that predate frame-ancestors.
  'X-Frame-Options': 'DENY',
  // No other window keeps a handle on the app, and no other site may embed its files.
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
};

/** Vite puts every hashed file under /assets/: its name changes with its content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Where `npm run build:web` writes the app: dist/webmail at the project's root. */
export function webAppDirectory(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('web app: no package.json above ' + __dirname);
    dir = parent;
  }
  return path.join(dir, 'dist', 'webmail');
}

function setAppHeaders(res: Response): void {
  for (const [name, value] of Object.entries(APP_HEADERS)) res.setHeader(name, value);
}

/**
 * Paths that are never screens of the app: an unknown one there is a plain 404. Screens may end
 * in a dot-name (`/console/domains/exemple.org`), so only /assets/ means "a file"; no screen
 * path has a segment starting with a dot (/.well-known/, the build's /.vite/).
 */
function isAppRoute(urlPath: string): boolean {
  return !/^\/(api|assets)(\/|$)/.test(urlPath) && !/\/\./.test(urlPath);
}

/**
 * Serves the built console and webmail at `/`: hashed assets cached for a year, everything else
 * revalidated, and the app's page for every screen's URL (the app routes in the browser).
 * Mounted after the API, so /api/v1 and the well-known endpoints never reach it.
 */
export function mountWebApp(app: Express, dir: string = webAppDirectory()): void {
  const index = path.join(dir, 'index.html');
  const assets = path.join(dir, 'assets');
  const gzipped = new Set(
    fs.existsSync(assets) ? fs.readdirSync(assets).filter((f) => f.endsWith('.gz')) : [],
  );

  // The build wrote `x.js.gz` beside `x.js` (webmail/vite.config.mts): send it when the browser takes gzip.
  app.use('/assets', (req, res, next) => {
    const name = req.path.slice(1);
    if ((req.method === 'GET' || req.method === 'HEAD') && gzipped.has(`${name}.gz`)) {
      res.setHeader('Vary', 'Accept-Encoding');
      if (req.acceptsEncodings('gzip') === 'gzip') {
        res.setHeader('Content-Encoding', 'gzip');
        // Before serve-static sees the .gz name: it keeps a Content-Type already set.
        res.type(path.extname(name));
        req.url = `/${name}.gz`;
      }
    }
    next();
  });

  app.use(
    '/assets',
    express.static(assets, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      setHeaders(res, file) {
        setAppHeaders(res);
        if (WORKER.test(path.basename(file).replace(/\.gz$/, ''))) {
          res.setHeader('Content-Security-Policy', WORKER_CSP);
        }
        res.setHeader('Cache-Control', IMMUTABLE);
      },
    }),
  );
  app.use(
    express.static(dir, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      setHeaders(res) {
        setAppHeaders(res);
        res.setHeader('Cache-Control', 'no-cache');
      },
    }),
  );

  const page: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !isAppRoute(req.path)) {
      return next(errors.notFound());
    }
    setAppHeaders(res);
    res.setHeader('Cache-Control', 'no-cache');
    if (!fs.existsSync(index)) {
      res
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(
          'Le site web n’est pas construit : lancez `npm run build`.\n' +
            'The web app is not built: run `npm run build`.\n',
        );
      return;
    }
    res.sendFile(index, { cacheControl: false });
  };
  app.use(page);
}
