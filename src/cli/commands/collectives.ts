import type { Command } from 'commander';
import { z } from 'zod';
import {
  createCollective,
  listCollectives,
  presentCollective,
  slugSchema,
} from '../../collectives/collectives';
import { action, cliActor, commandGroup, output, withContext } from '../run-context';

export function registerCollectives(program: Command): void {
  const group = commandGroup(program, 'collective', 'collectives (associations, co-ops, people)');
  group
    .command('add <slug>')
    .description('create a collective')
    .requiredOption('--name <name>', 'display name')
    .option('--json', 'print JSON')
    .action(
      action(async (slug: string, opts: { name: string; json?: boolean }) => {
        const input = z
          .object({ slug: slugSchema, name: z.string().trim().min(1).max(200) })
          .parse({ slug, name: opts.name });
        await withContext(async (ctx) => {
          const row = await ctx.db.transaction((trx) => createCollective(trx, cliActor, input));
          output(opts.json, presentCollective(row), () => `collective ${row.slug} (${row.name}) created`);
        });
      }),
    );
  group
    .command('list')
    .description('list collectives')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        await withContext(async (ctx) => {
          const rows = (await listCollectives(ctx.db, cliActor)).map(presentCollective);
          output(opts.json, rows, () => rows.map((c) => `${c.slug}\t${c.name}`).join('\n') || '(none)');
        });
      }),
    );
}
