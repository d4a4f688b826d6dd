import type { PlannedRecord } from './types';

/** The check that looks at a planned record, from the record's id (mx-1 → mx, dkim-s1 → dkim). */
export function checkOfRecord(id: string): string {
  if (id === 'mta-sts-host') return 'mta-sts';
  for (const prefix of ['mx', 'dkim', 'srv']) if (id.startsWith(`${prefix}-`)) return prefix;
  return id;
}

/**
 * The name as most DNS hosts want it, relative to the zone: `@` for the domain itself,
 * `_dmarc` for `_dmarc.example.org`. Registrars differ, so the full name is offered as well.
 */
export function relativeName(name: string, domain: string): string {
  if (name === domain) return '@';
  return name.endsWith(`.${domain}`) ? name.slice(0, -domain.length - 1) : name;
}

/** The parts of a value that hosts ask for in separate fields (MX priority, SRV port…). */
export function valueParts(r: PlannedRecord): Array<{ part: string; value: string }> {
  const words = r.value.split(' ');
  if (r.type === 'MX')
    return [
      { part: 'priority', value: words[0] },
      { part: 'target', value: words[1] },
    ];
  if (r.type === 'SRV')
    return [
      { part: 'priority', value: words[0] },
      { part: 'weight', value: words[1] },
      { part: 'port', value: words[2] },
      { part: 'target', value: words[3] },
    ];
  return [{ part: r.type === 'CNAME' ? 'target' : 'value', value: r.value }];
}

/** RFC 1035 §3.3.14: one TXT string holds at most 255 octets; longer values are split. */
export const isLongTxt = (r: PlannedRecord): boolean =>
  r.type === 'TXT' && new TextEncoder().encode(r.value).length > 255;
