import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { webAppDirectory } from '../../../src/api/web-app';

const ROOT = path.resolve(__dirname, '../../..');
const SOURCES = [path.join(ROOT, 'webmail'), path.join(ROOT, 'package-lock.json')];

function newestMtime(p: string): number {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

const LOCK = path.join(ROOT, 'dist', '.web-build.lock');
/** Longer than any build: a lock this old was left by a killed run. */
const STALE_LOCK_MS = 10 * 60_000;

/** Runs `fn` while no other jest worker of this checkout builds: two builds would mix their files. */
function whileBuildLocked<T>(fn: () => T): T {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const since = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (since && Date.now() - since.mtimeMs > STALE_LOCK_MS)
        fs.rmSync(LOCK, { recursive: true, force: true });
      Atomics.wait(pause, 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * The browser tests run the built app, as `npm start` serves it: build it when dist/webmail is
 * missing or older than a source file, so a test never runs yesterday's front end.
 */
export function ensureWebBuild(): string {
  const dir = webAppDirectory();
  const index = path.join(dir, 'index.html');
  const stale = () =>
    (fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0) < Math.max(...SOURCES.map(newestMtime));
  if (stale()) {
    whileBuildLocked(() => {
      // Another worker may have built it while this one waited.
      if (!stale()) return;
      const r = spawnSync('npm', ['run', '--silent', 'build:web'], { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`npm run build:web failed:\n${r.stdout}\n${r.stderr}`);
    });
  }
  return dir;
}
