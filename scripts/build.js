#!/usr/bin/env node
// The build, as one list of steps. A step runs only when it was never built, an output is
// missing, or a source is newer than its last build (a clone, a pull, an edit): `npm ci` builds
// once (the `prepare` script), and `npm start` or a CLI call after that only check, in a few
// milliseconds. Another part (e.g. the web front end) adds its own step to STEPS.
//
//   node scripts/build.js            build what is stale (npm run build)
//   node scripts/build.js --force    build everything
//   node scripts/build.js --check    exit 1 when something is stale, building nothing
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');

/**
 * name: for messages and the stamp file (dist/.built-<name>).
 * sources: files or folders it reads; folders are walked, and their own modification times
 *   count too, so a deleted or renamed file makes the step stale.
 * outputs: what it writes; removed before it runs, so nothing of a deleted source survives.
 * run: () => [command, args], run from the repository's root (resolved only when the step runs).
 */
const STEPS = [
  {
    name: 'server',
    sources: ['src', 'migrations', 'bench', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'],
    outputs: ['dist/src', 'dist/migrations', 'dist/bench'],
    // Emit only: type checking is `npm run lint`'s job (tsc --noEmit), and isolatedModules makes
    // file-by-file emit exact. It takes a third of the time of a checked build.
    run: () => [
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--noCheck'],
    ],
  },
  {
    // The web app (console and webmail), bundled by Vite into dist/webmail (webmail/README.md).
    name: 'web',
    sources: ['webmail', 'package-lock.json'],
    outputs: ['dist/webmail'],
    run: () => [
      process.execPath,
      [
        // vite's package exports do not list its bin; its package.json is.
        path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js'),
        'build',
        '--config',
        'webmail/vite.config.mts',
        '--logLevel',
        'warn',
      ],
    ],
  },
];

const stampOf = (root, step) => path.join(root, 'dist', `.built-${step.name}`);

/** The newest modification time (ms) under `p`, folders included; 0 when it does not exist. */
function newest(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  let latest = stat.mtimeMs;
  if (stat.isDirectory()) {
    for (const entry of fs.readdirSync(p)) latest = Math.max(latest, newest(path.join(p, entry)));
  }
  return latest;
}

/** Why `step` must run, or null when its outputs are up to date. */
function staleness(step, root = ROOT) {
  let built;
  try {
    built = fs.statSync(stampOf(root, step)).mtimeMs;
  } catch {
    return 'never built';
  }
  if (step.outputs.some((o) => !fs.existsSync(path.join(root, o)))) return 'output missing';
  const changed = step.sources.find((s) => newest(path.join(root, s)) > built);
  return changed ? `${changed} changed` : null;
}

const LOCK = (root) => path.join(root, 'dist', '.build-lock');

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One build at a time (npm start and a CLI call may both find the build stale). */
function withLock(root, fn) {
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  for (;;) {
    try {
      fs.writeFileSync(LOCK(root), String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = Number(fs.readFileSync(LOCK(root), 'utf8'));
      if (!holder || !alive(holder)) fs.rmSync(LOCK(root), { force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(LOCK(root), { force: true });
  }
}

/**
 * Runs every stale step (every step with `force`). `log` receives one line per step built.
 * Throws when a step fails. Returns the names of the steps built.
 */
function build({
  force = false,
  root = ROOT,
  steps = STEPS,
  log = (line) => process.stderr.write(`${line}\n`),
} = {}) {
  return withLock(root, () => {
    const built = [];
    for (const step of steps) {
      const why = force ? 'forced' : staleness(step, root);
      if (!why) continue;
      const started = Date.now();
      log(`build: ${step.name} (${why}) / construction : ${step.name}…`);
      for (const o of step.outputs) fs.rmSync(path.join(root, o), { recursive: true, force: true });
      fs.rmSync(stampOf(root, step), { force: true });
      const [command, args] = step.run();
      const r = spawnSync(command, args, { cwd: root, stdio: ['ignore', 2, 2] });
      if (r.status !== 0)
        throw new Error(`build step ${step.name} failed (${r.status ?? r.signal ?? r.error})`);
      // The stamp carries the time the step started: a source saved during the build is newer.
      fs.writeFileSync(stampOf(root, step), '');
      fs.utimesSync(stampOf(root, step), started / 1000, started / 1000);
      log(`build: ${step.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      built.push(step.name);
    }
    return built;
  });
}

/** For bin/giroflee.js: builds first when the sources changed since the last build. */
function ensureBuilt() {
  if (STEPS.some((s) => staleness(s))) build();
}

module.exports = { STEPS, staleness, build, ensureBuilt };

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.includes('--check')) {
    const stale = STEPS.map((s) => [s.name, staleness(s)]).filter(([, why]) => why);
    for (const [name, why] of stale) process.stderr.write(`build: ${name} is stale (${why})\n`);
    process.exit(stale.length ? 1 : 0);
  }
  try {
    const built = build({ force: args.includes('--force') });
    if (built.length === 0) process.stderr.write('build: up to date / à jour\n');
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
