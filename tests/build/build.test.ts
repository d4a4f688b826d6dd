import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REAL_STACK_TEST_MS } from '../support/wait-until';

// scripts/build.js is plain CommonJS, run by npm and bin/giroflee.js before anything is built.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const build = require('../../scripts/build.js') as {
  STEPS: Step[];
  staleness(step: Step, root?: string): string | null;
  build(opts: { force?: boolean; root?: string; steps?: Step[]; log?: (line: string) => void }): string[];
};

interface Step {
  name: string;
  sources: string[];
  outputs: string[];
  run: () => [string, string[]];
}

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

/**
 * `npm start` used to run tsc on every start, and `npm run giroflee -- …` on every call (a
 * minute on two cores). Now `npm ci` builds once (prepare) and a start or a call only checks.
 */
describe('the build (scripts/build.js)', () => {
  let root: string;
  const lines: string[] = [];
  // A step that counts its runs and writes one output.
  const step: Step = {
    name: 'demo',
    sources: ['src', 'settings.json'],
    outputs: ['dist/demo'],
    run: () => [
      process.execPath,
      [
        '-e',
        "const fs=require('fs');fs.mkdirSync('dist/demo');fs.writeFileSync('dist/demo/out.js','');fs.appendFileSync('runs','.')",
      ],
    ],
  };
  const runs = () => fs.readFileSync(path.join(root, 'runs'), 'utf8').length;
  /** An edit now: after the last build started (the build itself spawned a process since). */
  const touch = (file: string) => {
    const now = new Date();
    fs.utimesSync(path.join(root, file), now, now);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-build-'));
    fs.mkdirSync(path.join(root, 'src', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src', 'deep', 'a.ts'), '');
    fs.writeFileSync(path.join(root, 'src', 'b.ts'), '');
    fs.writeFileSync(path.join(root, 'settings.json'), '{}');
    lines.length = 0;
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const buildDemo = () => build.build({ root, steps: [step], log: (l) => lines.push(l) });

  it('builds a step once, and again only when a source is newer than its last build', () => {
    expect(build.staleness(step, root)).toBe('never built');
    expect(buildDemo()).toEqual(['demo']);
    expect(buildDemo()).toEqual([]);
    expect(runs()).toBe(1);
    expect(build.staleness(step, root)).toBeNull();

    touch('src/deep/a.ts');
    expect(build.staleness(step, root)).toBe('src changed');
    buildDemo();
    expect(runs()).toBe(2);

    touch('settings.json');
    expect(build.staleness(step, root)).toBe('settings.json changed');
  });

  it('rebuilds when a source was deleted or an output is missing, leaving nothing of the old output', () => {
    buildDemo();
    fs.writeFileSync(path.join(root, 'dist', 'demo', 'from-a-deleted-source.js'), '');
    // Deleting a file changes its folder's modification time, after the last build started.
    fs.rmSync(path.join(root, 'src', 'b.ts'));
    expect(build.staleness(step, root)).toBe('src changed');
    buildDemo();
    expect(fs.readdirSync(path.join(root, 'dist', 'demo'))).toEqual(['out.js']);

    fs.rmSync(path.join(root, 'dist', 'demo'), { recursive: true });
    expect(build.staleness(step, root)).toBe('output missing');
  });

  it(
    'lets the CLI answer without building when the build is fresh, through node, npm and npx',
    async () => {
      build.build({ root: ROOT });
      const stamps = () =>
        build.STEPS.map((s) => fs.statSync(path.join(ROOT, 'dist', `.built-${s.name}`)).mtimeMs);
      const before = stamps();
      for (const [command, args] of [
        [process.execPath, ['bin/giroflee.js', '--help']],
        ['npm', ['run', '--silent', 'giroflee', '--', '--help']],
        ['npx', ['giroflee', '--help']],
      ] as const) {
        const { stdout, stderr } = await run(command, [...args], { cwd: ROOT });
        expect(stdout).toContain('Usage: giroflee');
        expect(stderr).not.toContain('build:');
      }
      expect(stamps()).toEqual(before);
    },
    REAL_STACK_TEST_MS,
  );
});
