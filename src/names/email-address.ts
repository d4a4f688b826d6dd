import { checkedSchema, CheckResult } from './checked-schema';
import { checkDomainName, DomainName } from './domain-name';

export type LocalPart = string & { readonly __brand: 'LocalPart' };

export interface EmailAddress {
  localPart: LocalPart;
  domain: DomainName;
  /** `local@domain`, lowercase, A-label domain. */
  address: string;
}

// RFC 5322 §3.2.3 atext, as a dot-atom: no leading, trailing or doubled dot.
const DOT_ATOM = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

export function checkLocalPart(input: string): CheckResult<LocalPart> {
  const value = input.trim().toLowerCase();
  const fail = (code: string, fr: string, en: string) => ({ ok: false as const, problem: { code, fr, en } });
  if (!value) return fail('local_part_empty', 'La partie avant @ est vide.', 'The part before @ is empty.');
  // RFC 5321 §4.5.3.1.1: at most 64 octets.
  if (Buffer.byteLength(value) > 64) {
    return fail(
      'local_part_too_long',
      'La partie avant @ dépasse 64 caractères.',
      'The part before @ is longer than 64 characters.',
    );
  }
  // RFC 5322 allows `/`, but a hosted local part is a folder of Dovecot's mail root
  // (<domain>/<local part>): a slash would nest one mailbox's home inside another's. Addresses
  // with a slash are all but unseen in practice, so one rule serves every address.
  if (value === '*' || !DOT_ATOM.test(value) || value.includes('/')) {
    return fail(
      'local_part_invalid',
      "La partie avant @ ne peut contenir que des lettres sans accent, chiffres, points (ni au début, ni à la fin, ni doublés) et les signes ! # $ % & ' * + = ? ^ _ ` { | } ~ -.",
      "The part before @ may only contain unaccented letters, digits, dots (not first, last or doubled) and ! # $ % & ' * + = ? ^ _ ` { | } ~ -.",
    );
  }
  return { ok: true, value: value as LocalPart };
}

export function checkEmailAddress(input: string): CheckResult<EmailAddress> {
  const trimmed = input.trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) {
    return {
      ok: false,
      problem: { code: 'address_invalid', fr: 'Adresse e-mail invalide.', en: 'Invalid e-mail address.' },
    };
  }
  const local = checkLocalPart(trimmed.slice(0, at));
  if (!local.ok) return local;
  const domain = checkDomainName(trimmed.slice(at + 1));
  if (!domain.ok) return domain;
  const address = `${local.value}@${domain.value}`;
  // RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so an address at most 254.
  if (address.length > 254) {
    return {
      ok: false,
      problem: {
        code: 'address_too_long',
        fr: 'L’adresse dépasse 254 caractères.',
        en: 'The address is longer than 254 characters.',
      },
    };
  }
  return { ok: true, value: { localPart: local.value, domain: domain.value, address } };
}

export const emailAddressSchema = checkedSchema(checkEmailAddress);
export const localPartSchema = checkedSchema(checkLocalPart);
