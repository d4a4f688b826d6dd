import type { Command } from 'commander';
import { presentDomain } from '../../domains/domains';
import { action, commandGroup, output, withContext } from '../run-context';

export function registerDomains(program: Command): void {
  commandGroup(program, 'domain', 'domains')
    .command('list')
    .description('list domains with their collective and status')
    .option('--collective <slug>', 'only this collective')
    .option('--status <status>', 'only pending, active or suspended')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { collective?: string; status?: string; json?: boolean }) => {
        await withContext(async (ctx) => {
          const q = ctx
            .db('domains as d')
            .join('collectives as c', 'c.id', 'd.collective_id')
            .orderBy('d.name')
            .select('d.*', 'c.slug as collective_slug');
          if (opts.collective) q.where('c.slug', opts.collective);
          if (opts.status) q.where('d.status', opts.status);
          const rows = (await q).map(presentDomain);
          output(
            opts.json,
            rows,
            () => rows.map((d) => `${d.name}\t${d.status}\t${d.collective}`).join('\n') || '(none)',
          );
        });
      }),
    );
}
