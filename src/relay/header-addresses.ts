import { domainToASCII } from 'node:url';
import addressparser, { type Address } from 'nodemailer/lib/addressparser';

function flatten(list: Address[]): string[] {
  return list.flatMap((a) => (a.group ? flatten(a.group) : a.address ? [a.address] : []));
}

/** RFC 5322 §2.2.3: a folded header continues on lines starting with white space. */
export const unfold = (value: string) => value.replace(/\r?\n(?=[ \t])/g, '');

/**
 * The addresses of an address-list header value (From, Sender), group members included, in the
 * form the `mta` views hold: lower case, the domain in IDNA ASCII. A token that is no address
 * (`foo`, `a@`) is returned as it is, so that it matches nothing.
 */
export function headerAddresses(value: string): string[] {
  return flatten(addressparser(unfold(value))).map((address) => {
    const at = address.lastIndexOf('@');
    if (at <= 0 || at === address.length - 1) return address.toLowerCase();
    const domain = domainToASCII(address.slice(at + 1).toLowerCase());
    return `${address.slice(0, at).toLowerCase()}@${domain || address.slice(at + 1).toLowerCase()}`;
  });
}
