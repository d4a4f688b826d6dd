import type { Command } from 'commander';
import { checkOwnershipProof, runDomainCheck } from '../../dns/check-domain';
import { rotateDkimKey } from '../../dns/commands/rotate-dkim-key';
import { setDkimMode } from '../../dns/commands/set-dkim-mode';
import { verifyDomain } from '../../dns/commands/verify-domain';
import { listDkimKeys, presentDkimKey } from '../../dns/dkim-keys';
import { advanceDkimRotation } from '../../dns/dkim-rotation';
import { domainRecords } from '../../dns/domain-records';
import { presentPlan } from '../../dns/record-plan';
import { zoneSnippet } from '../../dns/zone-file';
import { listDomains } from '../../domains/domains';
import { findDomainForActor, DomainRow } from '../../domains/find-domain';
import { errors } from '../../errors';
import { parseDomainName } from '../../names/domain-name';
import { action, CliContext, commandGroup, inTransaction, output, withContext } from '../run-context';

/** The domain a racine names on the command line: the held one, else the oldest claim. */
const loadDomain = (ctx: CliContext, name: string): Promise<DomainRow> =>
  findDomainForActor(ctx, parseDomainName(name), 'read');

export function registerDns(program: Command): void {
  const domain = commandGroup(program, 'domain');
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
          const report = await runDomainCheck(ctx, await loadDomain(ctx, name));
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
          const d = await loadDomain(ctx, name);
          const proof = await checkOwnershipProof(ctx, d);
          const outcome = await inTransaction(ctx, (tx) => verifyDomain(tx, d, proof));
          output(opts.json, outcome, () =>
            outcome.verified
              ? `${outcome.name}: ${outcome.status}`
              : `${outcome.name}: pending\n${outcome.check.messages.map((m) => `${m.text.fr}\n${m.text.en}`).join('\n')}`,
          );
        });
      }),
    );

  const dkim = commandGroup(program, 'dkim');
  dkim
    .command('list <domain>')
    .description('DKIM keys of a domain and their states, newest first')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, opts: { json?: boolean }) => {
        await withContext(async (ctx) => {
          const keys = (await listDkimKeys(ctx, (await loadDomain(ctx, name)).id)).map(presentDkimKey);
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
          const d = await loadDomain(ctx, name);
          const keys = (await inTransaction(ctx, (tx) => setDkimMode(tx, d, mode))).map(presentDkimKey);
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
            ? await listDomains(ctx, { status: 'active' })
            : [await loadDomain(ctx, name as string)];
          const results: Array<{ domain: string; rotated: boolean; error?: string }> = [];
          for (const d of domains) {
            try {
              await inTransaction(ctx, (tx) => rotateDkimKey(tx, d));
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
