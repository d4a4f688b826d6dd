import type { Command } from 'commander';
import { findCollectiveBySlug } from '../../collectives/collectives';
import { createDomain, presentDomain } from '../../domains/domains';
import { activateDomain } from '../../dns/verify-domain';
import { errors } from '../../errors';
import { parseDomainName } from '../../names/domain-name';
import { action, cliActor, commandGroup, output, withContext } from '../run-context';

export function registerDomains(program: Command): void {
  const domain = commandGroup(program, 'domain', 'domains');
  domain
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

  domain
    .command('add <domain>')
    .description('link a domain to a collective: created pending, with the TXT record that proves ownership')
    .requiredOption('--collective <slug>', 'the collective that claims it')
    .option('--json', 'print JSON')
    .action(
      action(async (raw: string, opts: { collective: string; json?: boolean }) => {
        const name = parseDomainName(raw);
        await withContext(async (ctx) => {
          const row = await ctx.db.transaction(async (trx) =>
            createDomain(trx, cliActor, await findCollectiveBySlug(trx, opts.collective), name),
          );
          const d = presentDomain(row);
          output(opts.json, d, () =>
            [
              `${d.name}: ${d.status} (${d.collective})`,
              `Publish / publiez : ${d.verification?.name} ${d.verification?.type} "${d.verification?.value}"`,
            ].join('\n'),
          );
        });
      }),
    );

  domain
    .command('activate <domain>')
    .description(
      'racine override: make a pending claim active without the DNS proof (the platform’s own domains, a test machine); audited',
    )
    .option('--collective <slug>', 'which claim, when several collectives claim the name')
    .option('--json', 'print JSON')
    .action(
      action(async (raw: string, opts: { collective?: string; json?: boolean }) => {
        const name = parseDomainName(raw);
        await withContext(async (ctx) => {
          const q = ctx
            .db('domains as d')
            .join('collectives as c', 'c.id', 'd.collective_id')
            .where({ 'd.name': name, 'd.status': 'pending' })
            .select('d.*', 'c.slug as collective_slug');
          if (opts.collective) q.where('c.slug', opts.collective);
          const claims = await q;
          if (claims.length === 0)
            throw errors.notFound(undefined, {
              fr: `Aucune demande en attente pour ${name}.`,
              en: `No pending claim for ${name}.`,
            });
          if (claims.length > 1) {
            throw errors.conflict('several_claims', {
              fr: `Plusieurs collectifs demandent ${name} : précisez --collective (${claims.map((c) => c.collective_slug).join(', ')}).`,
              en: `Several collectives claim ${name}: give --collective (${claims.map((c) => c.collective_slug).join(', ')}).`,
            });
          }
          await activateDomain(ctx, cliActor, claims[0], 'racine-override');
          const row = await ctx.db('domains').where({ id: claims[0].id }).first();
          output(
            opts.json,
            presentDomain({ ...row, collective_slug: claims[0].collective_slug }),
            () => `${name}: active (${claims[0].collective_slug})`,
          );
        });
      }),
    );
}
