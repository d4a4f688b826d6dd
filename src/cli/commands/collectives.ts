import type { Command } from 'commander';
import { z } from 'zod';
import { listCollectives, presentCollective, slugSchema } from '../../collectives/collectives';
import { createCollective } from '../../collectives/commands/create-collective';
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
    .command('list')
    .description('list collectives')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        await withContext(async (ctx) => {
          const rows = (await listCollectives(ctx)).map(presentCollective);
          output(opts.json, rows, () => rows.map((c) => `${c.slug}\t${c.name}`).join('\n') || '(none)');
        });
      }),
    );
}
