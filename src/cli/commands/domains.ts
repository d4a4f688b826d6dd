import type { Command } from 'commander';
import { findCollectiveForActor } from '../../collectives/collectives';
import { activateDomain } from '../../domains/commands/activate-domain';
import { createDomain } from '../../domains/commands/create-domain';
import { findPendingClaim, getDomain, listDomains, presentDomain } from '../../domains/domains';
import { parseDomainName } from '../../names/domain-name';
import { action, commandGroup, inTransaction, output, withContext } from '../run-context';

export function registerDomains(program: Command): void {
  const domain = commandGroup(program, 'domain');
  domain
    .command('list')
    .description('list domains with their collective and status')
    .option('--collective <slug>', 'only this collective')
    .option('--status <status>', 'only pending, active or suspended')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { collective?: string; status?: string; json?: boolean }) => {
        await withContext(async (ctx) => {
          const rows = (await listDomains(ctx, { collectiveSlug: opts.collective, status: opts.status })).map(
            presentDomain,
          );
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
          const row = await inTransaction(ctx, async (tx) =>
            createDomain(tx, await findCollectiveForActor(tx, opts.collective, 'read'), name),
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
          const claim = await findPendingClaim(ctx, name, opts.collective);
          await inTransaction(ctx, (tx) => activateDomain(tx, claim, 'racine-override'));
          const row = await getDomain(ctx, claim.id);
          output(
            opts.json,
            presentDomain({ ...row!, collective_slug: claim.collective_slug }),
            () => `${name}: active (${claim.collective_slug})`,
          );
        });
      }),
    );
}
