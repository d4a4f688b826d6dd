#!/usr/bin/env node
// `npm run lint`: every check, two at a time (one per core of the CI machine). Each is a
// single-threaded program, so running them side by side halves the lint's wall time. A check's
// output is printed whole when it ends, so two never interleave; the exit status is non-zero
// when any check failed.
const { spawn } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);

// Longest first, so the last one to start is a short one (CPU seconds on the CI machine).
const CHECKS = [
  ['tsc (server, tests, bench)', 'tsc', ['--noEmit', '-p', 'tsconfig.json']],
  ['prettier', 'prettier', ['--check', '.']],
  ['eslint', 'eslint', ['.']],
  ['tsc (webmail)', 'tsc', ['--noEmit', '-p', 'webmail/tsconfig.json']],
  ['depcruise', 'depcruise', ['src', '--config', '.dependency-cruiser.cjs']],
  ['tsc (webmail build config)', 'tsc', ['--noEmit', '-p', 'webmail/tsconfig.node.json']],
];

function run([name, command, args]) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(bin(command), args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `${code === 0 ? 'ok  ' : 'FAIL'} ${name} (${seconds} s)\n${code === 0 ? '' : output}`,
      );
      resolve(code === 0);
    });
  });
}

async function main() {
  const queue = [...CHECKS];
  const lanes = Math.max(1, Math.min(2, os.availableParallelism?.() ?? os.cpus().length));
  let ok = true;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let check = queue.shift(); check; check = queue.shift()) ok = (await run(check)) && ok;
    }),
  );
  if (!ok) {
    process.stdout.write('lint failed\n');
    process.exit(1);
  }
}

void main();
