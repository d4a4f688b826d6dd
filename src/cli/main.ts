import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * The top-level commands of `giroflee`, each with the modules that fill it in. A module is
 * loaded only when its command runs (or its help is asked for): loading every command's
 * services, openpgp, mailauth, knex… cost about a second of CPU on each call. A module may fill
 * in several commands (dns.ts adds to `domain` and makes `dkim`); a command may be filled in by
 * several modules (`domain`).
 */
const COMMANDS: Record<string, { description: string; modules: Array<() => Promise<Register>> }> = {
  serve: {
    description: 'run giroflee: HTTP API, gateways, DNS zone and scheduled jobs',
    modules: [() => import('./commands/serve').then((m) => m.registerServe)],
  },
  migrate: {
    description: 'apply pending database migrations',
    modules: [() => import('./commands/migrate').then((m) => m.registerMigrate)],
  },
  racine: {
    description: 'racine (root admin) accounts',
    modules: [() => import('./commands/accounts').then((m) => m.registerAccounts)],
  },
  account: {
    description: 'console accounts (racines)',
    modules: [() => import('./commands/accounts').then((m) => m.registerAccounts)],
  },
  collective: {
    description: 'collectives (associations, co-ops, people)',
    modules: [() => import('./commands/collectives').then((m) => m.registerCollectives)],
  },
  domain: {
    description: 'domains',
    modules: [
      () => import('./commands/domains').then((m) => m.registerDomains),
      () => import('./commands/dns').then((m) => m.registerDns),
    ],
  },
  dkim: {
    description: 'DKIM keys',
    modules: [() => import('./commands/dns').then((m) => m.registerDns)],
  },
  mailbox: {
    description: 'mailboxes',
    modules: [() => import('./commands/mailboxes').then((m) => m.registerMailboxes)],
  },
  keys: {
    description: 'encryption keys',
    modules: [() => import('./commands/keys').then((m) => m.registerKeys)],
  },
  relay: {
    description: 'outbound relays (racines)',
    modules: [() => import('./commands/relay').then((m) => m.registerRelay)],
  },
  sending: {
    description: 'outbound sending limits and suspensions (racines)',
    modules: [() => import('./commands/sending').then((m) => m.registerSending)],
  },
  mailstack: {
    description: 'private Postfix + Dovecot on loopback, driven by giroflee (development, demos)',
    modules: [() => import('./commands/mailstack').then((m) => m.registerMailstack)],
  },
  mta: {
    description: 'production configuration of Postfix and Dovecot',
    modules: [() => import('./commands/mailstack').then((m) => m.registerMailstack)],
  },
  backup: {
    description: 'write a backup (database, mail store, manifests; never the master key)',
    modules: [() => import('./commands/backup').then((m) => m.registerBackup)],
  },
  restore: {
    description: 'restore a backup into an empty database and mail store',
    modules: [() => import('./commands/backup').then((m) => m.registerBackup)],
  },
};

/** The version in package.json, found from this file in src/ (tests) or dist/src/ (built). */
function version(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file))
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** The top-level command `args` (process.argv) asks for, `giroflee help <command>` included. */
function wanted(args: string[]): string | undefined {
  const words = args.slice(2).filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * The program for these arguments: every top-level command is declared (for `--help`), and
 * only the one that runs is filled in, its modules loaded now.
 */
export async function buildProgram(args: string[] = process.argv): Promise<Command> {
  const program = new Command('giroflee')
    .description('giroflee mail platform control plane')
    .version(version(), '-V, --version', 'print the version / affiche la version');
  for (const [name, { description }] of Object.entries(COMMANDS)) {
    program.command(name).description(description);
  }
  const name = wanted(args);
  const modules = name && Object.hasOwn(COMMANDS, name) ? COMMANDS[name].modules : [];
  for (const load of modules) (await load())(program);
  return program;
}

if (require.main === module) {
  void buildProgram().then((program) => program.parseAsync(process.argv));
}
