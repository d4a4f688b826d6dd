import type { Command } from 'commander';
import { findDomainForActor } from '../../domains/find-domain';
import { createMailbox } from '../../mailboxes/commands/create-mailbox';
import { presentMailbox } from '../../mailboxes/mailboxes';
import { displayTextSchema } from '../../names/display-text';
import { emailAddressSchema } from '../../names/email-address';
import { action, commandGroup, inTransaction, output, readStdin, withContext } from '../run-context';

export function registerMailboxes(program: Command): void {
  commandGroup(program, 'mailbox')
    .command('add <address>')
    .description('create a mailbox; the password is read from standard input')
    .option('--display-name <name>', 'display name')
    .option('--quota-bytes <bytes>', 'quota in bytes', (v) => Number(v))
    .option('--encryption <mode>', 'generated (default), public-key or none')
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          raw: string,
          opts: {
            displayName?: string;
            quotaBytes?: number;
            encryption?: 'generated' | 'public-key' | 'none';
            json?: boolean;
          },
        ) => {
          const address = emailAddressSchema.parse(raw);
          const password = await readStdin();
          await withContext(async (ctx) => {
            const { mailbox, recoveryCode } = await inTransaction(ctx, async (tx) =>
              createMailbox(tx, await findDomainForActor(tx, address.domain, 'read'), {
                localPart: address.localPart,
                password,
                displayName:
                  opts.displayName === undefined ? undefined : displayTextSchema(200).parse(opts.displayName),
                quotaBytes: opts.quotaBytes,
                encryptionMode: opts.encryption,
              }),
            );
            output(opts.json, { ...presentMailbox(mailbox), recoveryCode }, () =>
              [
                `mailbox ${mailbox.address} created`,
                recoveryCode
                  ? `Recovery code (shown once; give it to the owner) / code de récupération (affiché une seule fois) : ${recoveryCode}`
                  : '',
              ]
                .filter(Boolean)
                .join('\n'),
            );
          });
        },
      ),
    );
}
