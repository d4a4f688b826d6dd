import type { ServiceContext } from '../context';
import { storeDomainCheck } from '../domains/domains';
import { perConfig } from '../per-config';
import type { DomainRow } from '../domains/find-domain';
import type { CheckEnv, CheckMessage, CheckResult, CheckStatus, DnsProtocol } from './checks/common';
import { result, statusOf } from './checks/common';
import { zoneLine } from './zone-file';
import { ensureDomainDkimKey, listLiveDkimKeys } from './dkim-keys';
import { CheckId, PROTOCOLS, recordPlan } from './record-plan';
import { DnsResolver, DnsResult, isDefinite, RecordType, resolverFromConfig } from './resolver';
import { countDnsChecks } from '../metrics/metrics';

export interface DomainCheckReport {
  domain: string;
  checkedAt: string;
  status: CheckStatus;
  checks: CheckResult[];
}

const configuredResolver = perConfig(resolverFromConfig);

/** The context's resolver, or one built once from configuration (with its caches). */
export const resolverOf = (ctx: ServiceContext): DnsResolver =>
  ctx.resolver ?? configuredResolver(ctx.config);

const ORDER: CheckStatus[] = ['ok', 'warning', 'unknown', 'error'];
export const worst = (statuses: CheckStatus[]): CheckStatus =>
  ORDER[Math.max(0, ...statuses.map((s) => ORDER.indexOf(s)))];

/** An answer reduced to what must agree between servers (TTLs left out: caches count them down). */
function canonical(r: DnsResult): string | undefined {
  if (!isDefinite(r)) return undefined;
  if (r.status !== 'ok') return 'none';
  return r.records
    .map((x) => JSON.stringify([x.type, x.value]))
    .sort()
    .join('|');
}

const sameAll = (message: CheckMessage, id: string, expected: string[]): CheckResult =>
  result(id, expected, [], [message]);

/**
 * When no check could ask anything (the name does not exist, or its servers cannot be found or
 * reached), the reason is said once, on the first check; every check keeps that status and
 * still shows the records to publish.
 */
const sayOnce = (message: CheckMessage, ids: string[], expectedOf: (id: string) => string[]) =>
  ids.map((id, i): CheckResult => ({
    ...result(id, expectedOf(id), [], i === 0 ? [message] : []),
    status: statusOf([message]),
  }));

/**
 * Checks every record of a domain at its authoritative servers, all checks at once under one
 * deadline. Never throws for DNS trouble: a temporary failure is an `unknown` result. A read:
 * it writes nothing (runDomainCheck stores the result).
 */
export async function checkDomain(
  ctx: ServiceContext,
  domain: Pick<DomainRow, 'id' | 'name' | 'status' | 'verification_token'>,
  opts: {
    only?: CheckId[];
    /**
     * Also ask the recursive resolvers and warn when they still see older data (default true).
     * The scheduled re-check leaves it out: it judges what is published, at half the queries.
     */
    propagation?: boolean;
  } = {},
): Promise<DomainCheckReport> {
  const { only, propagation = true } = opts;
  const checks: readonly DnsProtocol[] = only ? PROTOCOLS.filter((p) => only.includes(p.id)) : PROTOCOLS;
  const resolver = resolverOf(ctx);
  const settings = ctx.config.dns;
  const deadline = Date.now() + settings.checkDeadlineMs;
  const keys = await listLiveDkimKeys(ctx, domain.id);
  const plan = recordPlan(settings, domain, keys);
  const checkedAt = ctx.now().toISOString();
  const report = (checks: CheckResult[]): DomainCheckReport => ({
    domain: domain.name,
    checkedAt,
    status: worst(checks.map((c) => c.status)),
    checks,
  });

  const ids = checks.map((p) => p.id);
  const expectedOf = (id: string) => plan.filter((r) => r.check === id).map(zoneLine);

  const zone = await resolver.authoritativeServers(domain.name, deadline);
  if (zone.status === 'nxdomain') {
    const message: CheckMessage = {
      level: 'error',
      code: 'domain_not_found',
      text: {
        fr: `Le nom ${domain.name} n’existe pas dans le DNS. Est-il bien enregistré auprès d’un bureau d’enregistrement ?`,
        en: `The name ${domain.name} does not exist in the DNS. Is it registered with a registrar?`,
      },
    };
    return report(sayOnce(message, ids, expectedOf));
  }
  if (zone.status === 'private') {
    const message: CheckMessage = {
      level: 'error',
      code: 'nameservers_private',
      text: {
        fr: `Les serveurs DNS de ${zone.zone} n’ont que des adresses privées ou locales (${zone.addresses.join(', ')}) : ils sont injoignables depuis Internet, et giroflee ne les interroge pas. Déclarez chez votre bureau d’enregistrement des serveurs DNS publics.`,
        en: `The DNS servers of ${zone.zone} only have private or local addresses (${zone.addresses.join(', ')}): they cannot be reached from the Internet, and giroflee does not query them. Declare public DNS servers at your registrar.`,
      },
    };
    return report(sayOnce(message, ids, expectedOf));
  }
  if (zone.status === 'unknown') {
    const message: CheckMessage = {
      level: 'unknown',
      code: 'nameservers_unknown',
      text: {
        fr: `Les serveurs DNS de ${domain.name} n’ont pas pu être trouvés pour l’instant ; la vérification sera refaite.`,
        en: `The DNS servers of ${domain.name} could not be found for now; the check will run again.`,
      },
    };
    return report(sayOnce(message, ids, expectedOf));
  }

  const memo = new Map<string, Promise<DnsResult>>();
  const once = (key: string, fn: () => Promise<DnsResult>) => {
    let p = memo.get(key);
    if (!p) {
      p = fn();
      memo.set(key, p);
    }
    return p;
  };
  const recursive = (name: string, type: RecordType) =>
    once(`r|${name}|${type}`, () => resolver.query(name, type, { deadline }));
  const authoritative = (name: string, type: RecordType) =>
    once(`a|${name}|${type}`, () => resolver.query(name, type, { servers: zone.servers, deadline }));

  const run = async ({ id, check }: DnsProtocol): Promise<CheckResult> => {
    const asked: Array<[string, RecordType]> = [];
    const env: CheckEnv = {
      domain: domain.name,
      domainStatus: domain.status,
      settings,
      plan,
      keys,
      auth: (name, type) => {
        asked.push([name, type]);
        return authoritative(name, type);
      },
      recursive,
    };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(
        () =>
          resolve(
            sameAll(
              {
                level: 'unknown',
                code: 'check_deadline',
                text: {
                  fr: 'La vérification n’a pas abouti dans le temps imparti ; elle sera refaite.',
                  en: 'The check did not finish in time; it will run again.',
                },
              },
              id,
              expectedOf(id),
            ),
          ),
        Math.max(0, deadline - Date.now()),
      );
    });
    const res = await Promise.race([check(env), late]).finally(() => clearTimeout(timer));
    // What the owner just published is seen at once; the rest of the world may still see older data.
    const lagging: string[] = [];
    for (const [name, type] of propagation ? asked : []) {
      const [a, r] = await Promise.all([authoritative(name, type), recursive(name, type)]);
      // An answer through a CNAME into another zone is only complete at the recursive resolver.
      if (isDefinite(a) && a.cnames.length) continue;
      const ca = canonical(a);
      const cr = canonical(r);
      if (ca !== undefined && cr !== undefined && ca !== cr) lagging.push(`${type} ${name}`);
    }
    if (lagging.length && res.status !== 'unknown') {
      res.messages.push({
        level: 'warning',
        code: 'propagation_pending',
        text: {
          fr: `Propagation en cours : les serveurs du domaine répondent déjà, mais le résolveur public voit encore l’ancienne version (${lagging.join(', ')}). Rien à faire, cela se règle seul (jusqu’à la durée de vie des enregistrements).`,
          en: `Propagation pending: the domain’s servers already answer, but the public resolver still sees the old version (${lagging.join(', ')}). Nothing to do; it settles by itself (up to the records’ TTL).`,
        },
      });
      if (res.status === 'ok') res.status = 'warning';
    }
    return res;
  };

  return report(await Promise.all(checks.map(run)));
}

/** The ownership proof alone (`_giroflee` TXT), as verifyDomain needs it. */
export async function checkOwnershipProof(
  ctx: ServiceContext,
  domain: Pick<DomainRow, 'id' | 'name' | 'status' | 'verification_token'>,
): Promise<CheckResult> {
  return (await checkDomain(ctx, domain, { only: ['verification'], propagation: false })).checks[0];
}

/**
 * Checks a domain now and stores the report on it (the console shows the last one). Not a
 * command: a check changes nothing people set, so it is neither authorized beyond reading the
 * domain nor audited. Its DNS work runs outside any transaction; each write stands alone.
 */
export async function runDomainCheck(
  ctx: ServiceContext,
  domain: Pick<DomainRow, 'id' | 'name' | 'status' | 'verification_token'>,
  opts: { propagation?: boolean } = {},
): Promise<DomainCheckReport> {
  await ensureDomainDkimKey(ctx, domain.id);
  const report = await checkDomain(ctx, domain, opts);
  countDnsChecks(report);
  await storeDomainCheck(ctx, domain.id, report);
  return report;
}
