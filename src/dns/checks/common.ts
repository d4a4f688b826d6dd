import type { DnsSettings } from '../../config';
import type { LocalizedText } from '../../errors';
import type { DkimKeyRow } from '../dkim-keys';
import type { DnsRecord, DnsResult, RecordType } from '../resolver';
import { zoneLine } from '../zone-file';

/** One record a domain's owner publishes; `name` and targets are absolute, without the final dot. */
export interface PlannedRecord {
  id: string;
  /** The check that looks at this record (its protocol's id). */
  check: string;
  type: 'MX' | 'TXT' | 'CNAME' | 'SRV';
  name: string;
  value: string;
  ttl: number;
  purpose: LocalizedText;
}

/** What a plan is made for: the domain's name and its ownership token. */
export interface PlanDomain {
  name: string;
  verification_token: string;
}

export type CheckStatus = 'ok' | 'warning' | 'error' | 'unknown';

export interface CheckMessage {
  level: 'info' | 'warning' | 'error' | 'unknown';
  code: string;
  text: LocalizedText;
  /** The exact record(s) to publish, when something must change. */
  publish?: string[];
}

export interface CheckResult {
  id: string;
  status: CheckStatus;
  expected: string[];
  found: string[];
  messages: CheckMessage[];
}

/** What a check is given: the domain, its plan, and two ways to ask DNS. */
export interface CheckEnv {
  domain: string;
  domainStatus: 'pending' | 'active' | 'suspended';
  settings: DnsSettings;
  plan: PlannedRecord[];
  keys: DkimKeyRow[];
  /** Asks the domain's authoritative servers (what the owner just published). */
  auth(name: string, type: RecordType): Promise<DnsResult>;
  /** Asks the configured recursive resolvers (what the rest of the world sees, CNAMEs followed). */
  recursive(name: string, type: RecordType): Promise<DnsResult>;
}

export type Check = (env: CheckEnv) => Promise<CheckResult>;

/**
 * One DNS protocol (MX, SPF, DKIM…): the records a domain publishes for it and the live check
 * of them, side by side. The registry (record-plan.ts) derives the check ids and the plan.
 */
export interface DnsProtocol<Id extends string = string> {
  id: Id;
  /** The records to publish, in order; the plan adds the check id and the TTL. */
  publish(
    settings: DnsSettings,
    domain: PlanDomain,
    keys: DkimKeyRow[],
  ): Array<Omit<PlannedRecord, 'check' | 'ttl'>>;
  check: Check;
}

/** Keeps a protocol's id as a literal type, so the registry's check ids are a union of them. */
export const defineProtocol = <const Id extends string>(p: DnsProtocol<Id>): DnsProtocol<Id> => p;

const RANK: Record<CheckMessage['level'], number> = { info: 0, warning: 1, unknown: 2, error: 3 };
const STATUS: CheckStatus[] = ['ok', 'warning', 'unknown', 'error'];

/** A check's status is its worst message: error > unknown > warning > ok. */
export function statusOf(messages: CheckMessage[]): CheckStatus {
  return STATUS[Math.max(0, ...messages.map((m) => RANK[m.level]))];
}

export function result(
  id: string,
  expected: string[],
  found: string[],
  messages: CheckMessage[],
): CheckResult {
  return { id, status: statusOf(messages), expected, found, messages };
}

export const planned = (env: CheckEnv, check: string) => env.plan.filter((r) => r.check === check);
export const expectedLines = (env: CheckEnv, check: string) => planned(env, check).map(zoneLine);

/** A TXT record's text: its character-strings joined with nothing between (RFC 7208 §3.3, RFC 6376 §3.6.2.2). */
export const txtText = (r: DnsRecord): string => (r.type === 'TXT' ? r.value.join('') : '');

/** A record in zone-file form, for `found`. */
export function recordLine(r: DnsRecord): string {
  switch (r.type) {
    case 'TXT':
      return zoneLine({ type: 'TXT', name: r.name, ttl: r.ttl, value: txtText(r) });
    case 'MX':
      return `${r.name}.\t${r.ttl}\tIN\tMX\t${r.value.priority} ${r.value.exchange}.`;
    case 'SRV':
      return `${r.name}.\t${r.ttl}\tIN\tSRV\t${r.value.priority} ${r.value.weight} ${r.value.port} ${r.value.target}.`;
    case 'SOA':
      return `${r.name}.\t${r.ttl}\tIN\tSOA\t${r.value.primary}.`;
    default:
      return `${r.name}.\t${r.ttl}\tIN\t${r.type}\t${r.value}${r.type === 'A' || r.type === 'AAAA' ? '' : '.'}`;
  }
}

/** The message for a query that got no definite answer: the check cannot tell, for now. */
export function temporary(name: string, type: RecordType, r: DnsResult): CheckMessage {
  const why = {
    servfail: { fr: 'le serveur a répondu SERVFAIL', en: 'the server answered SERVFAIL' },
    refused: { fr: 'le serveur a refusé la requête', en: 'the server refused the query' },
    timeout: { fr: 'aucune réponse à temps', en: 'no answer in time' },
    error: { fr: 'erreur réseau', en: 'network error' },
  }[r.status as 'servfail' | 'refused' | 'timeout' | 'error'] ?? { fr: r.status, en: r.status };
  return {
    level: 'unknown',
    code: `dns_${r.status}`,
    text: {
      fr: `Impossible de lire ${type} ${name} (${why.fr}) ; la vérification sera refaite plus tard.`,
      en: `Could not read ${type} ${name} (${why.en}); the check will run again later.`,
    },
  };
}

/** What is wrong, then the exact records to publish. */
const toPublish = (
  level: 'error' | 'warning',
  code: string,
  what: LocalizedText,
  publish: string[],
): CheckMessage => ({
  level,
  code,
  text: {
    fr: `${what.fr} Publiez : ${publish.join(' ; ')}`,
    en: `${what.en} Publish: ${publish.join('; ')}`,
  },
  publish,
});

/** A required record is missing: an error with the record to publish. */
export const missing = (what: LocalizedText, publish: string[], code: string): CheckMessage =>
  toPublish('error', code, what, publish);

/** TXT records at a name whose text starts with `prefix` (case-insensitive), for SPF/DMARC/… */
export const txtStartingWith = (records: DnsRecord[], prefix: RegExp): string[] =>
  records.map(txtText).filter((t) => prefix.test(t));

/** A recommended (not required) record is missing or different: a warning with the record to publish. */
export const advise = (code: string, what: LocalizedText, publish: string[]): CheckMessage =>
  toPublish('warning', code, what, publish);

/** A name that should be a CNAME to a platform host (autoconfig, autodiscover, mta-sts). */
export async function cnameTo(
  env: CheckEnv,
  rec: PlannedRecord,
  what: LocalizedText,
): Promise<{ found: string[]; messages: CheckMessage[] }> {
  const line = zoneLine(rec);
  const r = await env.auth(rec.name, 'CNAME');
  if (r.status === 'ok') {
    if (r.records[0].value === rec.value) return { found: r.records.map(recordLine), messages: [] };
    return { found: r.records.map(recordLine), messages: [advise(`${rec.id}_wrong`, what, [line])] };
  }
  if (r.status === 'nodata' || r.status === 'nxdomain') {
    return { found: [], messages: [advise(`${rec.id}_missing`, what, [line])] };
  }
  return { found: [], messages: [temporary(rec.name, 'CNAME', r)] };
}

/**
 * A protocol whose one record is `<id>.<domain>` CNAME the platform's host (automatic setup of
 * mail programs): `purpose` says what the record is for, `what` what fails without it.
 */
export const platformHostProtocol = <const Id extends string>(
  id: Id,
  purpose: LocalizedText,
  what: LocalizedText,
): DnsProtocol<Id> => ({
  id,
  publish: (settings, domain) => [
    { id, type: 'CNAME', name: `${id}.${domain.name}`, value: settings.autoconfigHost, purpose },
  ],
  check: async (env) => {
    const [rec] = planned(env, id);
    const { found, messages } = await cnameTo(env, rec, what);
    return result(id, expectedLines(env, id), found, messages);
  },
});
