import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Writes `name.gz` beside each hashed asset worth compressing, once at build time at the best
 * level; the server sends it to browsers that accept gzip (src/api/web-app.ts).
 */
function precompress(): Plugin {
  return {
    name: 'giroflee-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|json|svg|wasm)$/.test(name)) continue;
        const file = path.join(options.dir as string, name);
        const raw = fs.readFileSync(file);
        if (raw.length < 1024) continue;
        fs.writeFileSync(`${file}.gz`, zlib.gzipSync(raw, { level: 9 }));
      }
    },
  };
}

/**
 * The web app (console and webmail) builds into dist/webmail, which `giroflee serve` serves at
 * `/` (src/api/web-app.ts). Everything is bundled: the page never loads anything from another
 * origin, and no script is inline, so the CSP can forbid inline scripts.
 */
export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  plugins: [precompress()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/webmail', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Chromium, Firefox and Safari all support modulepreload; the polyfill would be dead weight.
    modulePreload: { polyfill: false },
    // Lists each entry's chunks, so bench/webmail can weigh exactly what the first load fetches.
    manifest: true,
    sourcemap: false,
  },
  server: {
    // `npm run dev:web`: the API of a running `npm start` behind Vite's dev server.
    proxy: { '/api': `http://${process.env.GIROFLEE_HTTP ?? '127.0.0.1:8080'}` },
  },
});
