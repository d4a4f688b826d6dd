import { Command } from 'commander';
import { registerMigrate } from './commands/migrate';
import { registerServe } from './commands/serve';

/** Each issue's commands register themselves here. */
const registrations: Array<(program: Command) => void> = [registerServe, registerMigrate];

export function buildProgram(): Command {
  const program = new Command('giroflee').description('giroflee mail platform control plane');
  for (const register of registrations) register(program);
  return program;
}

if (require.main === module) {
  void buildProgram().parseAsync(process.argv);
}
