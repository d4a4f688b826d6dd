/** Zone-file text (RFC 1035 §5.1) for the records a domain publishes. */

/** RFC 1035 §3.3.14: a TXT value as character-strings of at most 255 octets. */
export const splitTxt = (value: string): string[] => value.match(/.{1,255}/g) ?? [''];

const quoteTxt = (value: string): string =>
  splitTxt(value)
    .map((s) => `"${s.replace(/(["\\])/g, '\\$1')}"`)
    .join(' ');

export interface ZoneRecord {
  type: string;
  name: string;
  value: string;
  ttl: number;
}

/** One record in zone-file form, names absolute. */
export function zoneLine(r: ZoneRecord): string {
  let value = r.value;
  if (r.type === 'TXT') value = quoteTxt(r.value);
  else if (r.type === 'CNAME') value = `${r.value}.`;
  else if (r.type === 'MX' || r.type === 'SRV') value = r.value.replace(/(\S+)$/, '$1.');
  return `${r.name}.\t${r.ttl}\tIN\t${r.type}\t${value}`;
}

/** A BIND zone snippet, each record preceded by its purpose as a comment. */
export function zoneSnippet(
  domain: string,
  records: Array<ZoneRecord & { purpose: { fr: string; en: string } }>,
): string {
  const lines = [`; giroflee — ${domain}`];
  for (const r of records) {
    lines.push(`; ${r.purpose.fr}`, `; ${r.purpose.en}`, zoneLine(r));
  }
  return lines.join('\n') + '\n';
}
