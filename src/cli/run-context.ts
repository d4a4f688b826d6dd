import fs from 'node:fs';
import type { Command } from 'commander';
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor';
import { loadConfig, Config } from '../config';
import type { AppContext, CommandContext } from '../context';
import { migrateLatest } from '../db/knex';
import { openDatabase } from '../db/open-database';
import { presentError } from '../db/pg-errors';
import { runInTransaction } from '../db/transaction';
import { loadOrCreateKeyring } from '../encryption/master-key';
import type { Language } from '../errors';

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

/**
 * The language of the CLI's messages: English when the locale (LC_ALL, LC_MESSAGES, LANG, as
 * gettext reads them) says so, French otherwise.
 */
export function cliLanguage(env: NodeJS.ProcessEnv = process.env): Language {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^en([_.@-]|$)/i.test(locale) ? 'en' : 'fr';
}

/** An error as the CLI prints it: the API's normalisation, in the user's language, no stack. */
export function formatCliError(e: unknown, lang: Language = cliLanguage()): string {
  // The racine runs the CLI on the host: an unexpected error's message (not its stack) helps.
  const error = presentError(e, lang, true);
  const lines = [`giroflee: ${error.message} (${error.code})`];
  const details = error.details as { issues?: Array<{ path: string; code: string; message: string }> } | null;
  if (details?.issues) {
    for (const i of details.issues) lines.push(`  ${i.path ? `${i.path}: ` : ''}${i.message} (${i.code})`);
  } else if (details && error.status !== 500) {
    lines.push(`  ${JSON.stringify(details)}`);
  } else if (details) {
    lines.push(`  ${(details as { message: string }).message}`);
  }
  return lines.join('\n') + '\n';
}

/** Wraps a command's action: any error is printed as formatCliError says, with exit 1. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      process.stderr.write(formatCliError(e));
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

/** The top-level command `name`, declared by main.ts, which a command module fills in. */
export function commandGroup(program: Command, name: string): Command {
  const found = program.commands.find((c) => c.name() === name);
  if (!found) throw new Error(`giroflee: command ${name} is not declared in src/cli/main.ts`);
  return found;
}
