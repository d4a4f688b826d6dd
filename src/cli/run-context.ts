import fs from 'node:fs';
import type { Command } from 'commander';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Actor } from '../auth/actor';
import { loadConfig, Config } from '../config';
import type { AppContext, CommandContext } from '../context';
import { migrateLatest } from '../db/knex';
import { openDatabase } from '../db/open-database';
import { toAppError } from '../db/pg-errors';
import { runInTransaction } from '../db/transaction';
import { loadOrCreateKeyring } from '../encryption/master-key';

/** The CLI acts as the racines on the host; its audit entries say so. */
export const cliActor: Actor = { type: 'system', label: 'cli' };

/** One CLI run's context: the pool (for reads) and the racines' actor. */
export type CliContext = AppContext & { actor: Actor };

/** Opens the database (migrated) and the keyring, runs `fn`, and closes everything. */
export async function withContext<T>(
  fn: (ctx: CliContext) => Promise<T>,
  config: Config = loadConfig(),
): Promise<T> {
  const database = await openDatabase(config, { min: 0, max: 4 });
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o711 });
  try {
    await migrateLatest(database.db as Knex);
    return await fn({
      db: database.db,
      config,
      keyring: loadOrCreateKeyring(config.masterKeyFile),
      now: () => new Date(),
      actor: cliActor,
    });
  } finally {
    await database.close();
  }
}

/** Runs one command in its own transaction, as the routes do for every change. */
export function inTransaction<T>(ctx: CliContext, fn: (ctx: CommandContext) => Promise<T>): Promise<T> {
  return runInTransaction(ctx, fn);
}

/** Prints data as JSON (`--json`) or as the given human text. */
export function output(json: boolean | undefined, data: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : human() + '\n');
}

/** Wraps a command's action: known errors are printed plainly (French and English) with exit 1. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const known = toAppError(e);
      if (known) {
        process.stderr.write(`giroflee: ${known.text.fr}\ngiroflee: ${known.text.en}\n`);
        if (known.details) process.stderr.write(`${JSON.stringify(known.details)}\n`);
      } else if (e instanceof z.ZodError) {
        for (const issue of e.issues) {
          const fr = (issue as { params?: { fr?: string } }).params?.fr;
          process.stderr.write(`giroflee: ${fr ? `${fr}\ngiroflee: ` : ''}${issue.message}\n`);
        }
      } else {
        process.stderr.write(`giroflee: ${(e as Error)?.stack ?? String(e)}\n`);
      }
      process.exitCode = 1;
    }
  };
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** The command group `name` (e.g. `domain`), created on first use so several files can add subcommands. */
export function commandGroup(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}
