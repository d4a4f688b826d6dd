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

/**
 * The browser tests run the built app, as `npm start` serves it: build it when dist/webmail is
 * missing or older than a source file, so a test never runs yesterday's front end.
 */
export function ensureWebBuild(): string {
  const dir = webAppDirectory();
  const index = path.join(dir, 'index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  if (built < Math.max(...SOURCES.map(newestMtime))) {
    const r = spawnSync('npm', ['run', '--silent', 'build:web'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run build:web failed:\n${r.stdout}\n${r.stderr}`);
  }
  return dir;
}
