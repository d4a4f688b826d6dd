import type { Command } from 'commander';
import { presentAccount } from '../../accounts/accounts';
import { createRacine } from '../../accounts/commands/create-racine';
import { emailAddressSchema } from '../../names/email-address';
import { action, commandGroup, inTransaction, output, withContext } from '../run-context';

export function registerAccounts(program: Command): void {
  commandGroup(program, 'racine', 'racine (root admin) accounts')
    .command('add <email>')
    .description('create a racine account; prints a one-time password to change at first login')
    .option('--json', 'print JSON')
    .action(
      action(async (email: string, opts: { json?: boolean }) => {
        const address = emailAddressSchema.parse(email).address;
        await withContext(async (ctx) => {
          const { account, oneTimePassword } = await inTransaction(ctx, (tx) => createRacine(tx, address));
          output(opts.json, { ...presentAccount(account), oneTimePassword }, () =>
            [
              `racine ${account.email} created.`,
              `One-time password / mot de passe à usage unique : ${oneTimePassword}`,
              `Log in at http://${ctx.config.http.host}:${ctx.config.http.port}/ and change it.`,
            ].join('\n'),
          );
        });
      }),
    );
}
