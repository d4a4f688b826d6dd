import { Command } from 'commander';
import { registerAccounts } from './commands/accounts';
import { registerCollectives } from './commands/collectives';
import { registerDns } from './commands/dns';
import { registerDomains } from './commands/domains';
import { registerKeys } from './commands/keys';
import { registerMailboxes } from './commands/mailboxes';
import { registerMailstack } from './commands/mailstack';
import { registerMigrate } from './commands/migrate';
import { registerRelay } from './commands/relay';
import { registerServe } from './commands/serve';

/** Every command group of `giroflee`; a group spread over several files adds to it through commandGroup(). */
const registrations: Array<(program: Command) => void> = [
  registerServe,
  registerMigrate,
  registerAccounts,
  registerCollectives,
  registerDomains,
  registerDns,
  registerMailboxes,
  registerKeys,
  registerRelay,
  registerMailstack,
];

export function buildProgram(): Command {
  const program = new Command('giroflee').description('giroflee mail platform control plane');
  for (const register of registrations) register(program);
  return program;
}

if (require.main === module) {
  void buildProgram().parseAsync(process.argv);
}
