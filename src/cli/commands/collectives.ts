import type { Command } from 'commander';
import { z } from 'zod';
import {
  findCollectiveForActor,
  listCollectives,
  presentCollective,
  slugSchema,
} from '../../collectives/collectives';
import { inviteMember } from '../../collectives/commands/invite-member';
import { presentInvitation } from '../../collectives/invitations';
import { emailAddressSchema } from '../../names/email-address';
import { createCollective } from '../../collectives/commands/create-collective';
import { suspendCollective } from '../../collectives/commands/suspend-collective';
import { endCollectiveSessions } from '../../collectives/end-collective-sessions';
import { displayTextSchema } from '../../names/display-text';
import { action, commandGroup, inTransaction, output, withContext } from '../run-context';

export function registerCollectives(program: Command): void {
  const group = commandGroup(program, 'collective');
  group
    .command('add <slug>')
    .description('create a collective')
    .requiredOption('--name <name>', 'display name')
    .option('--json', 'print JSON')
    .action(
      action(async (slug: string, opts: { name: string; json?: boolean }) => {
        const input = z
          .object({ slug: slugSchema, name: displayTextSchema(200) })
          .parse({ slug, name: opts.name });
        await withContext(async (ctx) => {
          const row = await inTransaction(ctx, (tx) => createCollective(tx, input));
          output(opts.json, presentCollective(row), () => `collective ${row.slug} (${row.name}) created`);
        });
      }),
    );
  group
    .command('invite <slug> <email>')
    .description(
      'invite someone to a collective: the invitation is mailed to the address, and its code printed here, to hand over where mail does not go out yet',
    )
    .option('--role <role>', 'admin or member', 'member')
    .option('--json', 'print JSON')
    .action(
      action(async (slug: string, email: string, opts: { role: string; json?: boolean }) => {
        const input = z
          .object({ slug: slugSchema, email: emailAddressSchema, role: z.enum(['admin', 'member']) })
          .parse({ slug, email, role: opts.role });
        await withContext(async (ctx) => {
          const { invitation, code } = await inTransaction(ctx, async (tx) =>
            inviteMember(tx, await findCollectiveForActor(tx, input.slug, 'read'), {
              email: input.email.address,
              role: input.role,
            }),
          );
          output(opts.json, { ...presentInvitation(invitation), code }, () =>
            [
              `Invitation de ${invitation.email} (${invitation.role}) / invitation sent.`,
              `Code (jusqu’au / until ${invitation.expires_at.toISOString().slice(0, 10)}) : ${code}`,
              `Acceptée avec ce code et un mot de passe (POST /api/v1/invitations/accept), ou depuis le compte existant de cette adresse (GET /api/v1/me/invitations).`,
              `Accepted with this code and a password (POST /api/v1/invitations/accept), or from that address's existing account (GET /api/v1/me/invitations).`,
            ].join('\n'),
          );
        });
      }),
    );

  for (const [name, suspended, description] of [
    [
      'suspend',
      true,
      'suspend a collective (unpaid dues, abuse): mail to its domains is still received and kept; its accounts, tokens and mailboxes cannot log in (console, webmail, IMAP, submission), their open sessions are ended and nothing leaves in their name (vacation replies, Sieve redirects)',
    ],
    ['resume', false, 'lift a collective’s suspension: its people log in again'],
  ] as const) {
    group
      .command(`${name} <slug>`)
      .description(description)
      .requiredOption('--reason <text>', 'why, for the audit log')
      .option('--json', 'print JSON')
      .action(
        action(async (slug: string, opts: { reason: string; json?: boolean }) => {
          const input = z
            .object({ slug: slugSchema, reason: displayTextSchema(500) })
            .parse({ slug, reason: opts.reason });
          await withContext(async (ctx) => {
            const row = await inTransaction(ctx, async (tx) =>
              suspendCollective(tx, await findCollectiveForActor(tx, input.slug, 'read'), {
                suspended,
                reason: input.reason,
              }),
            );
            if (!suspended) {
              return output(
                opts.json,
                presentCollective(row),
                () => `suspension de ${row.slug} levée / ${row.slug} resumed`,
              );
            }
            const sessions = await endCollectiveSessions(ctx, row);
            output(opts.json, { ...presentCollective(row), sessions }, () =>
              [
                `collectif ${row.slug} suspendu / collective ${row.slug} suspended`,
                ...(sessions.ended ? [] : [sessions.message.fr, sessions.message.en]),
              ].join('\n'),
            );
          });
        }),
      );
  }

  group
    .command('list')
    .description('list collectives')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        await withContext(async (ctx) => {
          const rows = (await listCollectives(ctx)).map(presentCollective);
          output(
            opts.json,
            rows,
            () =>
              rows
                .map((c) => `${c.slug}\t${c.name}${c.suspension ? '\tsuspendu / suspended' : ''}`)
                .join('\n') || '(none)',
          );
        });
      }),
    );
}
