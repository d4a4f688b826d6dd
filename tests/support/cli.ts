import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { loadConfig } from '../../src/config';
import type { ServiceContext } from '../../src/context';
import { Keyring } from '../../src/encryption/master-key';
import { createTestDatabase } from './db';

export interface CliResult {
  out: string;
  err: string;
  code: number;
}

/**
 * The real `giroflee` program against a fresh test database and a temporary data directory
 * (master key included). Call `start()` in beforeAll and `stop()` in afterAll.
 */
export function cliHarness() {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  const saved = { ...process.env };
  return {
    get db() {
      return t.db;
    },
    /** A service context on the CLI's database, for the factories. */
    get ctx(): ServiceContext {
      return {
        db: t.db,
        config: loadConfig({ NODE_ENV: 'test', GIROFLEE_DATA_DIR: dir }),
        keyring: new Keyring([Keyring.generateKey()]),
        now: () => new Date(),
      };
    },
    async start() {
      t = await createTestDatabase();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-cli-'));
      process.env.DATABASE_URL = t.url;
      process.env.GIROFLEE_DATA_DIR = dir;
    },
    async stop() {
      process.env = saved;
      fs.rmSync(dir, { recursive: true, force: true });
      await t.destroy();
    },
    async run(...args: string[]): Promise<CliResult> {
      let out = '';
      let err = '';
      const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
      const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
      process.exitCode = 0;
      try {
        const argv = ['node', 'giroflee', ...args];
        await (await buildProgram(argv)).exitOverride().parseAsync(argv);
      } finally {
        o.mockRestore();
        e.mockRestore();
      }
      const code = Number(process.exitCode ?? 0);
      process.exitCode = 0;
      return { out, err, code };
    },
  };
}
