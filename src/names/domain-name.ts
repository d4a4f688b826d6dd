import { domainToASCII } from 'node:url';
import { checkedSchema, CheckResult } from './checked-schema';
import { errors } from '../errors';

/** A domain name parsed once at the boundary: IDNA A-label form, lowercase, no trailing dot. */
export type DomainName = string & { readonly __brand: 'DomainName' };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function checkDomainName(input: string): CheckResult<DomainName> {
  const fail = (code: string, fr: string, en: string) => ({ ok: false as const, problem: { code, fr, en } });
  const trimmed = input.trim().replace(/\.$/, '');
  if (!trimmed) return fail('domain_empty', 'Le nom de domaine est vide.', 'The domain name is empty.');
  if (/[\s/@:]/.test(trimmed)) {
    return fail(
      'domain_invalid_characters',
      'Le nom de domaine contient des caractères interdits.',
      'The domain name contains forbidden characters.',
    );
  }
  // WHATWG/UTS 46 processing: Unicode names become their xn-- A-label form.
  const ascii = domainToASCII(trimmed).toLowerCase();
  if (!ascii)
    return fail(
      'domain_invalid_idna',
      'Ce nom de domaine international est invalide.',
      'This internationalized domain name is invalid.',
    );
  // RFC 1035 §2.3.4: 255 octets on the wire, so 253 characters in text form.
  if (ascii.length > 253)
    return fail(
      'domain_too_long',
      'Le nom de domaine dépasse 253 caractères.',
      'The domain name is longer than 253 characters.',
    );
  const labels = ascii.split('.');
  if (labels.length < 2) {
    return fail(
      'domain_needs_dot',
      'Indiquez un nom complet, par exemple asso.fr.',
      'Give a full name, for example example.org.',
    );
  }
  for (const label of labels) {
    if (!LABEL.test(label)) {
      return fail(
        'domain_invalid_label',
        `L’élément « ${label} » est invalide : lettres, chiffres et tirets, 63 caractères au plus, sans tiret au début ni à la fin.`,
        `The label "${label}" is invalid: letters, digits and hyphens, at most 63 characters, no hyphen at either end.`,
      );
    }
  }
  // RFC 3696 §2: a top-level domain is never all-numeric (that would be an IP address).
  if (/^[0-9]+$/.test(labels[labels.length - 1])) {
    return fail(
      'domain_numeric_tld',
      'Une adresse IP n’est pas un nom de domaine.',
      'An IP address is not a domain name.',
    );
  }
  return { ok: true, value: ascii as DomainName };
}

export function parseDomainName(input: string): DomainName {
  const r = checkDomainName(input);
  if (!r.ok)
    throw errors.badRequest(
      r.problem.code,
      { fr: r.problem.fr, en: r.problem.en },
      { value: input.slice(0, 300) },
    );
  return r.value;
}

/** zod schema for a domain name field: validates and transforms into the A-label form. */
export const domainNameSchema = checkedSchema(checkDomainName);
