import crypto from 'node:crypto';
import type { DnsSettings } from '../config';
import type { LocalizedText } from '../errors';
import { dkimTxtValue, DkimKeyRow, SELECTORS } from './dkim-keys';
import { verificationRecord } from '../domains/domains';

/** One record a domain's owner publishes; `name` and targets are absolute, without the final dot. */
export interface PlannedRecord {
  id: string;
  /** The check that looks at this record. */
  check: CheckId;
  type: 'MX' | 'TXT' | 'CNAME' | 'SRV';
  name: string;
  value: string;
  ttl: number;
  purpose: LocalizedText;
}

export const CHECK_IDS = [
  'verification',
  'mx',
  'spf',
  'dkim',
  'dmarc',
  'mta-sts',
  'tls-rpt',
  'autoconfig',
  'autodiscover',
  'srv',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export interface PlanDomain {
  name: string;
  verification_token: string;
}

const TTL = 3600;

/** The MTA-STS policy file (RFC 8461 §3.2) served at https://mta-sts.<domain>/.well-known/mta-sts.txt. */
export function mtaStsPolicy(settings: DnsSettings): string {
  const lines = ['version: STSv1', `mode: ${settings.mtaStsMode}`];
  for (const mx of settings.mxHosts) lines.push(`mx: ${mx}`);
  lines.push(`max_age: ${settings.mtaStsMode === 'enforce' ? 604800 : 86400}`);
  return lines.join('\r\n') + '\r\n';
}

/** RFC 8461 §3.1: the id changes whenever the policy does; here it is derived from the policy text. */
export const mtaStsId = (settings: DnsSettings): string =>
  crypto.createHash('sha256').update(mtaStsPolicy(settings)).digest('hex').slice(0, 20);

export const spfRecord = (settings: DnsSettings): string => `v=spf1 include:${settings.spfInclude} -all`;

export function dmarcRecord(settings: DnsSettings): string {
  const tags = ['v=DMARC1', `p=${settings.dmarcPolicy}`];
  if (settings.dmarcRua) tags.push(`rua=${settings.dmarcRua}`);
  return tags.join('; ');
}

/** The CNAME target of a delegated selector in the platform zone. */
export const delegatedKeyName = (settings: DnsSettings, domain: string, selector: string): string =>
  `${selector}.${domain}.${settings.dkimZone}`;

/**
 * Every record a domain needs, from the platform settings and its DKIM keys (pending, active
 * and retiring keys; delegated mode asks for both selectors once, so later rotations need no
 * change at the customer's).
 */
export function recordPlan(settings: DnsSettings, domain: PlanDomain, keys: DkimKeyRow[]): PlannedRecord[] {
  const d = domain.name;
  const out: PlannedRecord[] = [];
  const add = (r: Omit<PlannedRecord, 'ttl'>) => out.push({ ...r, ttl: TTL });

  add({
    id: 'verification',
    check: 'verification',
    ...verificationRecord(domain),
    purpose: {
      fr: 'Prouve que le domaine appartient à votre collectif.',
      en: 'Proves that the domain belongs to your collective.',
    },
  });
  settings.mxHosts.forEach((mx, i) =>
    add({
      id: `mx-${i + 1}`,
      check: 'mx',
      type: 'MX',
      name: d,
      value: `${10 * (i + 1)} ${mx}`,
      purpose: { fr: 'Reçoit le courrier du domaine.', en: 'Receives the domain’s mail.' },
    }),
  );
  add({
    id: 'spf',
    check: 'spf',
    type: 'TXT',
    name: d,
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
  });

  const live = keys.filter((k) => k.state !== 'retired');
  const delegated = live.length === 0 || live.some((k) => k.mode === 'delegated');
  if (delegated) {
    const algorithms = [...new Set(live.map((k) => k.algorithm))];
    for (const algorithm of algorithms.length ? algorithms : (['rsa'] as const)) {
      for (const selector of SELECTORS[algorithm]) {
        add({
          id: `dkim-${selector}`,
          check: 'dkim',
          type: 'CNAME',
          name: `${selector}._domainkey.${d}`,
          value: delegatedKeyName(settings, d, selector),
          purpose: {
            fr: 'Délègue la clé DKIM à la plateforme, qui la renouvelle sans que vous ayez à modifier votre zone.',
            en: 'Delegates the DKIM key to the platform, which renews it without any change to your zone.',
          },
        });
      }
    }
  } else {
    for (const key of live.filter((k) => k.state !== 'retiring')) {
      add({
        id: `dkim-${key.selector}`,
        check: 'dkim',
        type: 'TXT',
        name: `${key.selector}._domainkey.${d}`,
        value: dkimTxtValue(key),
        purpose:
          key.state === 'pending'
            ? {
                fr: 'Nouvelle clé DKIM : publiez-la, elle remplacera l’actuelle dès qu’elle sera visible.',
                en: 'New DKIM key: publish it; it replaces the current one as soon as it is visible.',
              }
            : {
                fr: 'Clé publique DKIM qui permet de vérifier les signatures du courrier envoyé.',
                en: 'DKIM public key that lets receivers verify the signatures of sent mail.',
              },
      });
    }
  }

  add({
    id: 'dmarc',
    check: 'dmarc',
    type: 'TXT',
    name: `_dmarc.${d}`,
    value: dmarcRecord(settings),
    purpose: {
      fr: 'Dit aux destinataires quoi faire du courrier qui usurpe le domaine (DMARC).',
      en: 'Tells receivers what to do with mail that forges the domain (DMARC).',
    },
  });
  if (settings.mtaStsMode !== 'none') {
    add({
      id: 'mta-sts',
      check: 'mta-sts',
      type: 'TXT',
      name: `_mta-sts.${d}`,
      value: `v=STSv1; id=${mtaStsId(settings)}`,
      purpose: {
        fr: 'Annonce que le courrier vers le domaine doit voyager chiffré (MTA-STS).',
        en: 'Announces that mail to the domain must travel encrypted (MTA-STS).',
      },
    });
    add({
      id: 'mta-sts-host',
      check: 'mta-sts',
      type: 'CNAME',
      name: `mta-sts.${d}`,
      value: settings.autoconfigHost,
      purpose: {
        fr: 'Publie la politique MTA-STS, servie par la plateforme.',
        en: 'Publishes the MTA-STS policy, served by the platform.',
      },
    });
  }
  add({
    id: 'tls-rpt',
    check: 'tls-rpt',
    type: 'TXT',
    name: `_smtp._tls.${d}`,
    value: `v=TLSRPTv1; rua=${settings.tlsRptRua}`,
    purpose: {
      fr: 'Demande des rapports sur les échecs de chiffrement (TLS-RPT).',
      en: 'Asks for reports on encryption failures (TLS-RPT).',
    },
  });
  add({
    id: 'autoconfig',
    check: 'autoconfig',
    type: 'CNAME',
    name: `autoconfig.${d}`,
    value: settings.autoconfigHost,
    purpose: {
      fr: 'Configure automatiquement Thunderbird et d’autres logiciels de courrier.',
      en: 'Sets up Thunderbird and other mail programs automatically.',
    },
  });
  add({
    id: 'autodiscover',
    check: 'autodiscover',
    type: 'CNAME',
    name: `autodiscover.${d}`,
    value: settings.autoconfigHost,
    purpose: {
      fr: 'Configure automatiquement Outlook et les téléphones.',
      en: 'Sets up Outlook and phones automatically.',
    },
  });
  // RFC 6186 §3 and RFC 8314 §5.1: implicit TLS services first.
  add({
    id: 'srv-submissions',
    check: 'srv',
    type: 'SRV',
    name: `_submissions._tcp.${d}`,
    value: `0 1 465 ${settings.submissionHost}`,
    purpose: {
      fr: 'Indique aux logiciels de courrier le serveur d’envoi (port 465, chiffré).',
      en: 'Tells mail programs where to send mail (port 465, encrypted).',
    },
  });
  add({
    id: 'srv-imaps',
    check: 'srv',
    type: 'SRV',
    name: `_imaps._tcp.${d}`,
    value: `0 1 993 ${settings.imapHost}`,
    purpose: {
      fr: 'Indique aux logiciels de courrier le serveur de lecture (IMAP, port 993, chiffré).',
      en: 'Tells mail programs where to read mail (IMAP, port 993, encrypted).',
    },
  });
  return out;
}

const quoteTxt = (value: string): string =>
  // RFC 1035 §3.3.14: character-strings of at most 255 octets, quoted in zone files.
  (value.match(/.{1,255}/g) ?? ['']).map((s) => `"${s.replace(/(["\\])/g, '\\$1')}"`).join(' ');

/** One record in zone-file form (RFC 1035 §5.1), names absolute. */
export function zoneLine(r: Pick<PlannedRecord, 'type' | 'name' | 'value' | 'ttl'>): string {
  let value = r.value;
  if (r.type === 'TXT') value = quoteTxt(r.value);
  else if (r.type === 'CNAME') value = `${r.value}.`;
  else if (r.type === 'MX' || r.type === 'SRV') value = r.value.replace(/(\S+)$/, '$1.');
  return `${r.name}.\t${r.ttl}\tIN\t${r.type}\t${value}`;
}

/** A BIND zone snippet of the plan, each record preceded by its purpose as a comment. */
export function zoneSnippet(domain: string, plan: PlannedRecord[]): string {
  const lines = [`; giroflee — ${domain}`];
  for (const r of plan) {
    lines.push(`; ${r.purpose.fr}`, `; ${r.purpose.en}`, zoneLine(r));
  }
  return lines.join('\n') + '\n';
}

/** The JSON form of the plan for the API. */
export const presentPlan = (plan: PlannedRecord[]) =>
  plan.map(({ id, type, name, value, ttl, purpose }) => ({ id, type, name, value, ttl, purpose }));
