import { spf as evaluateSpf } from 'mailauth/lib/spf';
import type { DnsSettings } from '../../config';
import type { DnsResult, RecordType } from '../resolver';
import type { CheckEnv, CheckMessage } from './common';
import {
  Check,
  defineProtocol,
  expectedLines,
  missing,
  recordLine,
  result,
  temporary,
  txtStartingWith,
} from './common';

// RFC 7208 §4.5: an SPF record is a TXT record starting with "v=spf1" followed by a space or its end.
const SPF_PREFIX = /^v=spf1(\s|$)/i;
// RFC 7208 §4.6.4: these terms cause DNS queries and count towards the limit of 10.
const LOOKUP_TERM = /^[+\-~?]?(include|a|mx|ptr|exists)(:|\/|$)|^redirect=/i;
const MAX_LOOKUPS = 10;

const spfRecord = (settings: DnsSettings): string => `v=spf1 include:${settings.spfInclude} -all`;

const within = (env: CheckEnv, name: string) => name === env.domain || name.endsWith(`.${env.domain}`);
const ask = (env: CheckEnv, name: string, type: RecordType) =>
  within(env, name) ? env.auth(name, type) : env.recursive(name, type);

/** Counts DNS-querying terms through nested include: and redirect= (RFC 7208 §4.6.4, §5.2, §6.1). */
async function countLookups(
  env: CheckEnv,
  text: string,
  seen: Set<string>,
): Promise<{ count: number; temporary?: string }> {
  let count = 0;
  for (const term of text.split(/\s+/).slice(1)) {
    if (!LOOKUP_TERM.test(term)) continue;
    count++;
    if (count > MAX_LOOKUPS) return { count };
    const m = /^[+\-~?]?include:(.+)$/i.exec(term) ?? /^redirect=(.+)$/i.exec(term);
    // A target with macros (§7) depends on the sender: count it, do not follow it.
    if (!m || m[1].includes('%')) continue;
    const target = m[1].toLowerCase().replace(/\.$/, '');
    if (seen.has(target)) continue;
    seen.add(target);
    const r = await ask(env, target, 'TXT');
    if (r.status !== 'ok' && r.status !== 'nodata' && r.status !== 'nxdomain')
      return { count, temporary: target };
    const [nested] = r.status === 'ok' ? txtStartingWith(r.records, SPF_PREFIX) : [];
    if (!nested) continue;
    const inner = await countLookups(env, nested, seen);
    count += inner.count;
    if (inner.temporary || count > MAX_LOOKUPS) return { count, temporary: inner.temporary };
  }
  return { count };
}

/** Our DnsResult in the shape of Node's dns.resolve, which mailauth expects (errors by code). */
function nodeStyle(r: DnsResult, type: string): unknown[] {
  if (r.status === 'ok') {
    return r.records.map((x) => {
      if (x.type === 'TXT') return x.value;
      if (x.type === 'MX') return { exchange: x.value.exchange, priority: x.value.priority };
      return x.value;
    });
  }
  const code = {
    nxdomain: 'ENOTFOUND',
    nodata: 'ENODATA',
    servfail: 'ESERVFAIL',
    refused: 'EREFUSED',
    timeout: 'ETIMEOUT',
    error: 'ECONNREFUSED',
  }[r.status];
  throw Object.assign(new Error(`${type} ${code}`), { code });
}

const withInclude = (record: string, include: string): string => {
  const terms = record.trim().split(/\s+/);
  const allAt = terms.findIndex((t) => /^[+\-~?]?all$/i.test(t) || /^redirect=/i.test(t));
  terms.splice(allAt === -1 ? terms.length : allAt, 0, `include:${include}`);
  return terms.join(' ');
};

// The strictest `all` first (RFC 7208 §4.6.2 qualifiers: fail, softfail, neutral, pass).
const ALL_STRICTNESS = ['-all', '~all', '?all', '+all'];

/**
 * One record from several (RFC 7208 §4.5 allows one): every mechanism of every record, each
 * once and in order, the platform's include once, and the strictest `all` any of them had, so no
 * other sender loses its authorisation and no record's policy is loosened. A redirect= applies
 * only where no `all` ends the record (§6.1): it is kept, once, when none does.
 */
export function mergeSpf(records: string[], include: string): string {
  const mechanisms: string[] = [];
  const seen = new Set<string>();
  const add = (term: string) => {
    const key = term.toLowerCase().replace(/^\+(?!all$)/, '');
    if (seen.has(key)) return;
    seen.add(key);
    mechanisms.push(term);
  };
  const alls: string[] = [];
  const redirects: string[] = [];
  for (const record of records) {
    for (const term of record.trim().split(/\s+/).slice(1)) {
      if (/^[+\-~?]?all$/i.test(term)) alls.push(term.toLowerCase().replace(/^all$/, '+all'));
      else if (/^redirect=/i.test(term)) redirects.push(term);
      else add(term);
    }
  }
  add(`include:${include}`);
  const all = ALL_STRICTNESS.find((a) => alls.includes(a));
  const end = all ? [all] : redirects.slice(0, 1);
  return ['v=spf1', ...mechanisms, ...end].join(' ');
}

/** SPF per RFC 7208: one record, the platform included and passing, at most 10 lookups, a strict `all`. */
const check: Check = async (env) => {
  let expected = expectedLines(env, 'spf');
  const r = await env.auth(env.domain, 'TXT');
  if (r.status !== 'ok' && r.status !== 'nodata' && r.status !== 'nxdomain')
    return result('spf', expected, [], [temporary(env.domain, 'TXT', r)]);
  const spfRecords = r.status === 'ok' ? txtStartingWith(r.records, SPF_PREFIX) : [];
  const found =
    r.status === 'ok'
      ? r.records.filter((x) => x.type === 'TXT' && SPF_PREFIX.test(x.value.join(''))).map(recordLine)
      : [];
  if (spfRecords.length === 0) {
    return result('spf', expected, found, [
      missing(
        {
          fr: 'Aucun enregistrement SPF : le courrier envoyé risque d’être refusé.',
          en: 'No SPF record: sent mail may be rejected.',
        },
        expected,
        'spf_missing',
      ),
    ]);
  }
  if (spfRecords.length > 1) {
    const merged = `${env.domain}.\t3600\tIN\tTXT\t"${mergeSpf(spfRecords, env.settings.spfInclude)}"`;
    return result('spf', [merged], found, [
      {
        level: 'error',
        code: 'spf_multiple',
        text: {
          fr: `Le domaine publie ${spfRecords.length} enregistrements SPF ; il en faut exactement un, sinon SPF échoue partout (RFC 7208 §4.5). Fusionnez-les en un seul, par exemple : ${merged}`,
          en: `The domain publishes ${spfRecords.length} SPF records; exactly one is allowed, otherwise SPF fails everywhere (RFC 7208 §4.5). Merge them into one, for example: ${merged}`,
        },
        publish: [merged],
      },
    ]);
  }

  const record = spfRecords[0];
  const messages: CheckMessage[] = [];
  const terms = record.split(/\s+/).slice(1);
  const includesPlatform = terms.some(
    (t) => t.toLowerCase().replace(/^\+/, '') === `include:${env.settings.spfInclude}`,
  );
  if (!includesPlatform) {
    // The owner may send through others too: ask to add the include, never to replace the record.
    const merged = `${env.domain}.\t3600\tIN\tTXT\t"${withInclude(record, env.settings.spfInclude)}"`;
    expected = [merged];
    messages.push({
      level: 'error',
      code: 'spf_platform_missing',
      text: {
        fr: `L’enregistrement SPF n’autorise pas la plateforme. Ajoutez « include:${env.settings.spfInclude} » (sans retirer le reste) : ${merged}`,
        en: `The SPF record does not allow the platform. Add "include:${env.settings.spfInclude}" (keeping the rest): ${merged}`,
      },
      publish: [merged],
    });
  }

  const all = terms.find((t) => /^[+\-~?]?all$/i.test(t));
  if (all && /^\+?all$/i.test(all)) {
    messages.push({
      level: 'warning',
      code: 'spf_all_pass',
      text: {
        fr: `« ${all} » autorise le monde entier à envoyer au nom du domaine. Terminez par « -all » (ou « ~all »).`,
        en: `"${all}" allows the whole world to send as the domain. End with "-all" (or "~all").`,
      },
    });
  } else if (all && /^\?all$/i.test(all)) {
    messages.push({
      level: 'warning',
      code: 'spf_all_neutral',
      text: {
        fr: '« ?all » ne dit rien des expéditeurs inconnus. Terminez par « -all » (ou « ~all »).',
        en: '"?all" says nothing about unknown senders. End with "-all" (or "~all").',
      },
    });
  }

  const lookups = await countLookups(env, record, new Set([env.domain]));
  if (lookups.temporary) {
    messages.push(temporary(lookups.temporary, 'TXT', { status: 'timeout' }));
  } else if (lookups.count > MAX_LOOKUPS) {
    messages.push({
      level: 'error',
      code: 'spf_too_many_lookups',
      text: {
        fr: `L’enregistrement SPF demande plus de ${MAX_LOOKUPS} requêtes DNS en comptant les include imbriqués (${lookups.count} au moins) : les destinataires le rejettent (RFC 7208 §4.6.4). Retirez des include inutiles ou remplacez-les par des ip4:/ip6:.`,
        en: `The SPF record needs more than ${MAX_LOOKUPS} DNS lookups counting nested includes (at least ${lookups.count}): receivers reject it (RFC 7208 §4.6.4). Remove needless includes or replace them with ip4:/ip6:.`,
      },
    });
  }

  // Evaluate the record as a receiver would, for each of the platform's sending addresses.
  for (const ip of env.settings.sendingIps) {
    const verdict = await evaluateSpf({
      sender: `postmaster@${env.domain}`,
      ip,
      helo: env.settings.mxHosts[0],
      mta: env.settings.mxHosts[0],
      resolver: (async (name: string, type: string) =>
        nodeStyle(await ask(env, name.toLowerCase(), type as RecordType), type)) as never,
    });
    const outcome = verdict.status.result;
    if (outcome === 'pass') continue;
    if (outcome === 'temperror' || outcome === 'temperr') {
      messages.push(temporary(env.domain, 'TXT', { status: 'timeout' }));
    } else if (outcome === 'permerror') {
      messages.push({
        level: 'error',
        code: 'spf_syntax',
        text: {
          fr: `L’enregistrement SPF est invalide : ${verdict.status.comment ?? ''}. Corrigez-le, par exemple : ${expected[0]}`,
          en: `The SPF record is invalid: ${verdict.status.comment ?? ''}. Fix it, for example: ${expected[0]}`,
        },
        publish: expected,
      });
    } else if (includesPlatform) {
      messages.push({
        level: 'error',
        code: 'spf_ip_not_allowed',
        text: {
          fr: `L’adresse d’envoi ${ip} de la plateforme obtient « ${outcome} » au lieu de « pass ». Placez « include:${env.settings.spfInclude} » avant « all ».`,
          en: `The platform’s sending address ${ip} gets "${outcome}" instead of "pass". Put "include:${env.settings.spfInclude}" before "all".`,
        },
      });
    }
  }
  return result('spf', expected, found, messages);
};

export const spf = defineProtocol({
  id: 'spf',
  publish: (settings, domain) => [
    {
      id: 'spf',
      type: 'TXT',
      name: domain.name,
      value: spfRecord(settings),
      purpose: {
        fr:
          'Autorise la plateforme à envoyer pour le domaine (SPF). Si vous avez déjà un enregistrement SPF, ajoutez-y seulement « include:' +
          settings.spfInclude +
          ' ».',
        en:
          'Allows the platform to send for the domain (SPF). If you already have an SPF record, only add "include:' +
          settings.spfInclude +
          '" to it.',
      },
    },
  ],
  check,
});
