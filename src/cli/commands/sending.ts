import type { Command } from 'commander';
import { z } from 'zod';
import { findCollectiveForActor } from '../../collectives/collectives';
import { findMailboxForActor } from '../../mailboxes/mailboxes';
import { emailAddressSchema } from '../../names/email-address';
import { endCompromisedAlert } from '../../sending/check-outbound';
import { endSendingLimitAlert } from '../../sending/check-submission';
import { setSendingLimits } from '../../sending/commands/set-sending-limits';
import { suspendSending } from '../../sending/commands/suspend-sending';
import {
  collectiveOverrides,
  mailboxAddressById,
  presentLimits,
  type LimitOverrides,
} from '../../sending/sending-limits';
import { action, commandGroup, inTransaction, output, withContext, type CliContext } from '../run-context';

/** A limit: a whole number, or `none` to go back to the platform's default. */
const limitSchema = z.union([z.literal('none'), z.coerce.number().int().min(0).max(1_000_000)]);

/** A mailbox named by its address or, as alerts name it, by its id. */
async function mailboxAddress(ctx: CliContext, ref: string) {
  if (z.uuid().safeParse(ref).success)
    return emailAddressSchema.parse((await mailboxAddressById(ctx, ref)) ?? '');
  return emailAddressSchema.parse(ref);
}

export function registerSending(program: Command): void {
  const group = commandGroup(program, 'sending');
  group
    .command('limits <collective>')
    .description("show a collective's sending limits per mailbox; with options, override them (racines)")
    .option('--hour-messages <n>', 'messages per hour, or none for the default')
    .option('--hour-recipients <n>', 'recipients per hour, or none')
    .option('--day-messages <n>', 'messages per 24 hours, or none')
    .option('--day-recipients <n>', 'recipients per 24 hours, or none')
    .option('--json', 'print JSON')
    .action(
      action(async (slug: string, opts: Record<string, string> & { json?: boolean }) => {
        const { json, ...given } = opts;
        const patch: LimitOverrides = Object.fromEntries(
          Object.entries(given).map(([k, v]) => {
            const parsed = limitSchema.parse(v);
            return [k, parsed === 'none' ? null : parsed];
          }),
        );
        await withContext(async (ctx) => {
          const overrides = Object.keys(patch).length
            ? await inTransaction(ctx, async (tx) =>
                setSendingLimits(tx, await findCollectiveForActor(tx, slug, 'read'), patch),
              )
            : await collectiveOverrides(ctx, (await findCollectiveForActor(ctx, slug, 'read')).id);
          const shown = presentLimits(ctx.config.sending.limits, overrides);
          output(json, shown, () =>
            Object.entries(shown.limits)
              .map(
                ([k, v]) => `${k}: ${v}${overrides[k as keyof LimitOverrides] == null ? ' (default)' : ''}`,
              )
              .join('\n'),
          );
        });
      }),
    );
  for (const [name, suspended] of [
    ['suspend', true],
    ['resume', false],
  ] as const) {
    group
      .command(`${name} <mailbox>`)
      .description(
        suspended
          ? "suspend a mailbox's sending (address or id, as alerts give it); it still receives and reads"
          : 'give a mailbox its sending back',
      )
      .action(
        action(async (ref: string) => {
          await withContext(async (ctx) => {
            const address = await mailboxAddress(ctx, ref);
            const mailbox = await inTransaction(ctx, async (tx) => {
              const m = await findMailboxForActor(tx, address, 'read');
              await suspendSending(tx, m, suspended);
              return m;
            });
            if (suspended) {
              await endSendingLimitAlert(ctx, mailbox.id);
              await endCompromisedAlert(ctx, mailbox.id);
            }
            output(false, {}, () =>
              suspended
                ? `sending suspended for ${mailbox.address}`
                : `sending resumed for ${mailbox.address}`,
            );
          });
        }),
      );
  }
}
