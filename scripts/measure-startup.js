#!/usr/bin/env node
// How long the README's commands take, measured the way a person runs them, on free loopback
// ports and a fresh data directory (removed afterwards). Run after `npm ci`:
//   node scripts/measure-startup.js
// Prints the median of several runs and the machine's load, for the README's figures.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const ROOT = path.join(__dirname, '..');

function freePorts(n) {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((resolve) => {
          const s = net.createServer().listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
          });
        }),
    ),
  );
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(command, args, env) {
  const started = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd: ROOT, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function ready(port) {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/readyz' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      })
      .on('error', () => resolve(false));
  });
}

/** `npm start` until /readyz answers 200; then SIGTERM and wait for its end. */
async function startToReady(env, port) {
  const started = process.hrtime.bigint();
  const child = spawn('npm', ['start'], { cwd: ROOT, env, stdio: 'ignore', detached: true });
  const ended = new Promise((resolve) => child.once('exit', resolve));
  while (!(await ready(port))) {
    if (child.exitCode !== null) throw new Error('npm start ended before it was ready');
    await sleep(50);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    seconds,
    stop: async () => {
      process.kill(-child.pid, 'SIGTERM');
      await ended;
    },
  };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-measure-'));
  fs.chmodSync(dir, 0o711);
  const [httpPort, lmtp, outbound, zone, metrics, milter, policy] = await freePorts(7);
  const env = {
    ...process.env,
    GIROFLEE_DATA_DIR: path.join(dir, 'data'),
    GIROFLEE_HTTP: `127.0.0.1:${httpPort}`,
    GIROFLEE_METRICS_LISTEN: `127.0.0.1:${metrics}`,
    GIROFLEE_LMTP: `127.0.0.1:${lmtp}`,
    GIROFLEE_OUTBOUND: `127.0.0.1:${outbound}`,
    GIROFLEE_SUBMISSION_MILTER: `127.0.0.1:${milter}`,
    GIROFLEE_SENDING_POLICY: `127.0.0.1:${policy}`,
    GIROFLEE_DNS_ZONE_LISTEN: `127.0.0.1:${zone}`,
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  const results = [];
  const report = (what, seconds) => {
    results.push(`${what}: ${seconds.toFixed(2)} s`);
    process.stdout.write(`${results[results.length - 1]}\n`);
  };
  try {
    const runs = (n, fn) => Array.from({ length: n }, fn);
    report(
      'node bin/giroflee.js --help (median of 5)',
      median(runs(5, () => timed('node', ['bin/giroflee.js', '--help'], env))),
    );
    report(
      'npx giroflee --help (median of 3)',
      median(runs(3, () => timed('npx', ['giroflee', '--help'], env))),
    );

    const first = await startToReady(env, httpPort);
    report('npm start, first start (new cluster, migrations) to /readyz 200', first.seconds);
    report(
      'npm run giroflee -- collective list, npm start running (median of 3)',
      median(runs(3, () => timed('npm', ['run', '--silent', 'giroflee', '--', 'collective', 'list'], env))),
    );
    await first.stop();
    const again = [];
    for (let i = 0; i < 3; i++) {
      const s = await startToReady(env, httpPort);
      again.push(s.seconds);
      await s.stop();
    }
    report('npm start, later starts to /readyz 200 (median of 3)', median(again));
    report(
      'npm run giroflee -- collective list, alone (starts and stops the database; median of 3)',
      median(runs(3, () => timed('npm', ['run', '--silent', 'giroflee', '--', 'collective', 'list'], env))),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const [l1, l5] = os.loadavg();
  process.stdout.write(
    `${os.cpus().length} cores, load ${l1.toFixed(1)} / ${l5.toFixed(1)} (1 / 5 min), node ${process.version}, ${new Date().toISOString()}\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
