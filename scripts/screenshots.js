#!/usr/bin/env node
// Takes the README's screenshots of the console again, into docs/screenshots: the console's
// browser tests, run against the real server in Debian's Chromium, save a picture of each main
// screen when GIROFLEE_SCREENSHOTS names a folder (tests/web/support/pages.ts).
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const result = spawnSync(
  process.execPath,
  [require.resolve('jest/bin/jest', { paths: [root] }), '--runInBand', 'tests/web/console-'],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, GIROFLEE_SCREENSHOTS: path.join(root, 'docs', 'screenshots') },
  },
);
process.exit(result.status ?? 1);
