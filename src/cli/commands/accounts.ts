import type { Command } from 'commander';
import { findAccountByEmail, getAccount, presentAccount } from '../../accounts/accounts';
import { createRacine } from '../../accounts/commands/create-racine';
import { resetAccountPassword } from '../../accounts/commands/reset-account-password';
import { resetTotp } from '../../accounts/commands/reset-totp';
import { type Config, webLink } from '../../config';
import { errors } from '../../errors';
import { emailAddressSchema } from '../../names/email-address';
import { action, commandGroup, inTransaction, output, withContext } from '../run-context';

/** Where a person uses a one-time password: the web app's login screen, which asks for a new one. */
const firstLogin = (config: Pick<Config, 'publicUrl'>) => [
  `Connectez-vous sur ${webLink(config, '/login')} et choisissez votre mot de passe.`,
  `Log in at ${webLink(config, '/login')} and choose your own password.`,
];

export function registerAccounts(program: Command): void {
  commandGroup(program, 'racine')
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
              `racine ${account.email} créé / created.`,
              `Mot de passe à usage unique / one-time password : ${oneTimePassword}`,
              ...firstLogin(ctx.config),
            ].join('\n'),
          );
        });
      }),
    );

  commandGroup(program, 'account')
    .command('reset-password <email>')
    .description(
      'reset a console account’s password: prints a one-time password, to be changed at the next login; closes its sessions',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (email: string, opts: { json?: boolean }) => {
        const address = emailAddressSchema.parse(email).address;
        await withContext(async (ctx) => {
          const found = await findAccountByEmail(ctx, address);
          if (!found) throw errors.notFound();
          const { account, oneTimePassword } = await inTransaction(ctx, (tx) =>
            resetAccountPassword(tx, found.id),
          );
          output(opts.json, { ...presentAccount(account), oneTimePassword }, () =>
            [
              `Mot de passe de ${account.email} réinitialisé / password reset.`,
              `Mot de passe à usage unique / one-time password : ${oneTimePassword}`,
              ...firstLogin(ctx.config),
            ].join('\n'),
          );
        });
      }),
    );

  commandGroup(program, 'account')
    .command('reset-totp <email>')
    .description(
      'turn off a console account’s two-factor authentication (lost phone); closes its sessions; its owner may enrol again',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (email: string, opts: { json?: boolean }) => {
        const address = emailAddressSchema.parse(email).address;
        await withContext(async (ctx) => {
          const account = await inTransaction(ctx, async (tx) => {
            const found = await findAccountByEmail(tx, address);
            if (!found) throw errors.notFound();
            await resetTotp(tx, found.id);
            return getAccount(tx, found.id);
          });
          if (!account) throw errors.notFound();
          output(opts.json, presentAccount(account), () =>
            [
              `Double authentification de ${account.email} désactivée / two-factor authentication turned off.`,
              `Connexion par mot de passe seul ; une nouvelle inscription se fait sur ${webLink(ctx.config, '/console/account')}.`,
              `Password-only login until its owner enrols again at ${webLink(ctx.config, '/console/account')}.`,
            ].join('\n'),
          );
        });
      }),
    );
}
