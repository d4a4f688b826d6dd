import type { DnsSettings } from '../../config';
import type { CheckMessage } from './common';
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

const DMARC_PREFIX = /^v\s*=\s*DMARC1\s*(;|$)/i;

function dmarcRecord(settings: DnsSettings): string {
  const tags = ['v=DMARC1', `p=${settings.dmarcPolicy}`];
  if (settings.dmarcRua) tags.push(`rua=${settings.dmarcRua}`);
  return tags.join('; ');
}

/** Tags of a DMARC record (RFC 7489 §6.4), or the reason it cannot be read. */
export function parseDmarc(text: string): { tags: Map<string, string> } | { problem: string } {
  const tags = new Map<string, string>();
  const parts = text.split(';').map((p) => p.trim());
  for (const [i, part] of parts.entries()) {
    if (!part) continue;
    const m = /^([a-z]+)\s*=\s*(.*)$/i.exec(part);
    if (!m) return { problem: `« ${part} »` };
    if (i === 0 && m[1].toLowerCase() !== 'v') return { problem: 'v=DMARC1' };
    tags.set(m[1].toLowerCase(), m[2].trim());
  }
  // RFC 7489 §6.3: p is required and comes right after v.
  const p = tags.get('p');
  if (!p || !['none', 'quarantine', 'reject'].includes(p.toLowerCase())) return { problem: 'p=' };
  if (parts[1] && !/^p\s*=/i.test(parts[1])) return { problem: 'p=' };
  return { tags };
}

/** DMARC (RFC 7489): one record, valid syntax, a policy that acts on forged mail. */
const check: Check = async (env) => {
  const expected = expectedLines(env, 'dmarc');
  const name = `_dmarc.${env.domain}`;
  let r = await env.auth(name, 'TXT');
  if (r.status === 'nodata' && r.cnames.length) r = await env.recursive(name, 'TXT');
  if (r.status !== 'ok' && r.status !== 'nodata' && r.status !== 'nxdomain')
    return result('dmarc', expected, [], [temporary(name, 'TXT', r)]);
  const found = r.status === 'ok' ? r.records.map(recordLine) : [];
  const records = r.status === 'ok' ? txtStartingWith(r.records, DMARC_PREFIX) : [];
  if (records.length === 0) {
    return result('dmarc', expected, found, [
      missing(
        {
          fr: 'Aucun enregistrement DMARC : rien ne protège le domaine contre l’usurpation.',
          en: 'No DMARC record: nothing protects the domain against forgery.',
        },
        expected,
        'dmarc_missing',
      ),
    ]);
  }
  if (records.length > 1) {
    return result('dmarc', expected, found, [
      {
        level: 'error',
        code: 'dmarc_multiple',
        text: {
          fr: `${records.length} enregistrements DMARC : les destinataires les ignorent tous (RFC 7489 §6.6.3). Gardez-en un seul : ${expected[0]}`,
          en: `${records.length} DMARC records: receivers ignore them all (RFC 7489 §6.6.3). Keep only one: ${expected[0]}`,
        },
        publish: expected,
      },
    ]);
  }
  const parsed = parseDmarc(records[0]);
  const messages: CheckMessage[] = [];
  if ('problem' in parsed) {
    messages.push({
      level: 'error',
      code: 'dmarc_syntax',
      text: {
        fr: `L’enregistrement DMARC est invalide (${parsed.problem} attendu ou mal écrit). Remplacez-le par : ${expected[0]}`,
        en: `The DMARC record is invalid (${parsed.problem} expected or malformed). Replace it with: ${expected[0]}`,
      },
      publish: expected,
    });
  } else if (parsed.tags.get('p')?.toLowerCase() === 'none') {
    messages.push({
      level: 'warning',
      code: 'dmarc_p_none',
      text: {
        fr: `« p=none » demande aux destinataires de ne rien faire du courrier qui usurpe le domaine : il sert à observer les rapports, pas à protéger. Passez à « p=quarantine » quand les rapports sont bons : ${expected[0]}`,
        en: `"p=none" asks receivers to do nothing with mail that forges the domain: it is for watching reports, not for protection. Move to "p=quarantine" once reports look good: ${expected[0]}`,
      },
      publish: expected,
    });
  }
  return result('dmarc', expected, found, messages);
};

export const dmarc = defineProtocol({
  id: 'dmarc',
  publish: (settings, domain) => [
    {
      id: 'dmarc',
      type: 'TXT',
      name: `_dmarc.${domain.name}`,
      value: dmarcRecord(settings),
      purpose: {
        fr: 'Dit aux destinataires quoi faire du courrier qui usurpe le domaine (DMARC).',
        en: 'Tells receivers what to do with mail that forges the domain (DMARC).',
      },
    },
  ],
  check,
});
