import type { Command } from 'commander';
import type { AppContext } from '../../context';
import { checkDomain, storeCheck } from '../../dns/check-domain';
import { presentDkimKey } from '../../dns/dkim-keys';
import { setDkimMode } from '../../dns/dkim-mode';
import { advanceDkimRotation, rotateDkimKey } from '../../dns/dkim-rotation';
import { domainRecords } from '../../dns/domain-records';
import { presentPlan, zoneSnippet } from '../../dns/record-plan';
import { verifyDomain } from '../../dns/verify-domain';
import { findDomainForActor, DomainRow } from '../../domains/find-domain';
import { errors } from '../../errors';
import { parseDomainName } from '../../names/domain-name';
import { action, cliActor, commandGroup, output, withContext } from '../run-context';

/** The domain a racine names on the command line: the held one, else the oldest claim. */
const loadDomain = (ctx: AppContext, name: string): Promise<DomainRow> =>
  findDomainForActor(ctx.db, cliActor, parseDomainName(name), 'manage');

export function registerDns(program: Command): void {
  const domain = commandGroup(program, 'domain', 'domains');
  domain
    .command('records <domain>')
    .description('records the domain must publish (table, --json, or --zone for a BIND snippet)')
    .option('--json', 'print JSON')
    .option('--zone', 'print a BIND zone snippet')
    .action(
      action(async (name: string, opts: { json?: boolean; zone?: boolean }) => {
        await withContext(async (ctx) => {
          const d = await loadDomain(ctx, name);
          const plan = await domainRecords(ctx, d);
          if (opts.zone) {
            process.stdout.write(zoneSnippet(d.name, plan));
            return;
          }
          output(opts.json, presentPlan(plan), () =>
            plan
              .map((r) => `${r.type}\t${r.name}\t${r.value}\n\t${r.purpose.fr}\n\t${r.purpose.en}`)
              .join('\n'),
          );
        });
      }),
    );

  domain
    .command('check <domain>')
    .description('check every DNS record of the domain at its authoritative nameservers')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, opts: { json?: boolean }) => {
        await withContext(async (ctx) => {
          const d = await loadDomain(ctx, name);
          const report = await checkDomain(ctx, d);
          await storeCheck(ctx.db, d.id, report);
          output(opts.json, report, () =>
            [
              `${report.domain}: ${report.status}`,
              ...report.checks.flatMap((c) => [
                `  ${c.id}: ${c.status}`,
                ...c.messages.map((m) => `    ${m.level}: ${m.text.fr}\n    ${m.level}: ${m.text.en}`),
              ]),
            ].join('\n'),
          );
          if (report.status === 'error') process.exitCode = 2;
        });
      }),
    );

  domain
    .command('verify <domain>')
    .description('look for the ownership proof now; found → the domain becomes active')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, opts: { json?: boolean }) => {
        await withContext(async (ctx) => {
          const outcome = await verifyDomain(ctx, cliActor, await loadDomain(ctx, name));
          output(opts.json, outcome, () =>
            outcome.verified
              ? `${outcome.name}: ${outcome.status}`
              : `${outcome.name}: pending\n${outcome.check.messages.map((m) => `${m.text.fr}\n${m.text.en}`).join('\n')}`,
          );
        });
      }),
    );

  const dkim = commandGroup(program, 'dkim', 'DKIM keys');
  dkim
    .command('list <domain>')
    .description('DKIM keys of a domain and their states')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, opts: { json?: boolean }) => {
        await withContext(async (ctx) => {
          const d = await loadDomain(ctx, name);
          const keys = (await ctx.db('dkim_keys').where({ domain_id: d.id }).orderBy('created_at')).map(
            presentDkimKey,
          );
          output(
            opts.json,
            keys,
            () =>
              keys.map((k) => `${k.selector}\t${k.algorithm}\t${k.mode}\t${k.state}`).join('\n') || '(none)',
          );
        });
      }),
    );
  dkim
    .command('mode <domain> <mode>')
    .description('publish DKIM keys by delegation (delegated) or as TXT records kept by the owner (txt)')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, mode: string, opts: { json?: boolean }) => {
        if (mode !== 'delegated' && mode !== 'txt')
          throw errors.badRequest('usage', { fr: 'Mode : delegated ou txt.', en: 'Mode: delegated or txt.' });
        await withContext(async (ctx) => {
          const keys = (await setDkimMode(ctx, cliActor, await loadDomain(ctx, name), mode)).map(
            presentDkimKey,
          );
          output(opts.json, keys, () => keys.map((k) => `${k.selector}\t${k.mode}\t${k.state}`).join('\n'));
        });
      }),
    );
  dkim
    .command('rotate [domain]')
    .description('start a DKIM key rotation for one domain, or --all active domains')
    .option('--all', 'every active domain')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string | undefined, opts: { all?: boolean; json?: boolean }) => {
        if (!name === !opts.all)
          throw errors.badRequest('usage', {
            fr: 'Indiquez un domaine ou --all.',
            en: 'Give a domain or --all.',
          });
        await withContext(async (ctx) => {
          const domains: DomainRow[] = opts.all
            ? await ctx.db('domains').where({ status: 'active' }).orderBy('name')
            : [await loadDomain(ctx, name as string)];
          const results: Array<{ domain: string; rotated: boolean; error?: string }> = [];
          for (const d of domains) {
            try {
              await rotateDkimKey(ctx, cliActor, d);
              // Delegated keys are published at once: confirm and activate them in the same run.
              await advanceDkimRotation(ctx, d);
              results.push({ domain: d.name, rotated: true });
            } catch (e) {
              results.push({ domain: d.name, rotated: false, error: (e as Error).message });
            }
          }
          output(
            opts.json,
            results,
            () =>
              results.map((r) => `${r.domain}\t${r.rotated ? 'rotation started' : r.error}`).join('\n') ||
              '(none)',
          );
        });
      }),
    );
}
