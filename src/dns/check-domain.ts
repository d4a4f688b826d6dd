import type { AppContext } from '../context';
import type { Db } from '../db/knex';
import type { DomainRow } from '../domains/find-domain';
import { autoconfigCheck } from './checks/autoconfig';
import { autodiscoverCheck } from './checks/autodiscover';
import type { Check, CheckEnv, CheckMessage, CheckResult, CheckStatus } from './checks/common';
import { result } from './checks/common';
import { dkimCheck } from './checks/dkim';
import { dmarcCheck } from './checks/dmarc';
import { mtaStsCheck } from './checks/mta-sts';
import { mxCheck } from './checks/mx';
import { spfCheck } from './checks/spf';
import { srvCheck } from './checks/srv';
import { tlsRptCheck } from './checks/tls-rpt';
import { verificationCheck } from './checks/verification';
import { ensureDomainDkimKey } from './dkim-keys';
import { CheckId, recordPlan } from './record-plan';
import { DnsResolver, DnsResult, isDefinite, RecordType, resolverFromConfig } from './resolver';

export interface DomainCheckReport {
  domain: string;
  checkedAt: string;
  status: CheckStatus;
  checks: CheckResult[];
}

const CHECKS: Array<[CheckId, Check]> = [
  ['verification', verificationCheck],
  ['mx', mxCheck],
  ['spf', spfCheck],
  ['dkim', dkimCheck],
  ['dmarc', dmarcCheck],
  ['mta-sts', mtaStsCheck],
  ['tls-rpt', tlsRptCheck],
  ['autoconfig', autoconfigCheck],
  ['autodiscover', autodiscoverCheck],
  ['srv', srvCheck],
];

const resolvers = new WeakMap<AppContext, DnsResolver>();

/** The context's resolver, or one built once from configuration. */
export function resolverOf(ctx: AppContext): DnsResolver {
  if (ctx.resolver) return ctx.resolver;
  let r = resolvers.get(ctx);
  if (!r) {
    r = resolverFromConfig(ctx.config);
    resolvers.set(ctx, r);
  }
  return r;
}

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

const sameAll = (message: CheckMessage, id: CheckId, expected: string[] = []): CheckResult =>
  result(id, expected, [], [message]);

/**
 * Checks every record of a domain at its authoritative servers, all checks at once under one
 * deadline. Never throws for DNS trouble: a temporary failure is an `unknown` result.
 */
export async function checkDomain(
  ctx: AppContext,
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
  const checks = only ? CHECKS.filter(([id]) => only.includes(id)) : CHECKS;
  const resolver = resolverOf(ctx);
  const settings = ctx.config.dns;
  const deadline = Date.now() + settings.checkDeadlineMs;
  const keys = await ensureDomainDkimKey(ctx.db, ctx, domain.id);
  const plan = recordPlan(settings, domain, keys);
  const checkedAt = ctx.now().toISOString();
  const report = (checks: CheckResult[]): DomainCheckReport => ({
    domain: domain.name,
    checkedAt,
    status: worst(checks.map((c) => c.status)),
    checks,
  });

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
    return report(checks.map(([id]) => sameAll(message, id)));
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
    return report(checks.map(([id]) => sameAll(message, id)));
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

  const run = async ([id, check]: [CheckId, Check]): Promise<CheckResult> => {
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

/** Stores a report on the domain (last_check, last_checked_at). */
export async function storeCheck(db: Db, domainId: string, report: DomainCheckReport): Promise<void> {
  await db('domains')
    .where({ id: domainId })
    .update({ last_check: JSON.stringify(report), last_checked_at: report.checkedAt });
}
