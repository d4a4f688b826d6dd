import { Readable } from 'node:stream';
import { dkimSign, type DKIMSignOptions } from 'mailauth';
import addressparser, { type Address } from 'nodemailer/lib/addressparser';

/** The shape `getSigningKeys` (src/dns/dkim-keys.ts) returns: one entry per active key. */
export interface SigningKey {
  domain: string;
  selector: string;
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  privateKeyPem: string;
}

/** The active keys of a hosted, active domain; an empty list for any other domain. */
export type SigningKeysLookup = (domainName: string) => Promise<SigningKey[]>;

/** Header block of a message held as chunks, without copying the body. */
export function headerBlock(chunks: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
    const joined = Buffer.concat(parts, length);
    const end = joined.indexOf('\r\n\r\n');
    if (end >= 0) return joined.subarray(0, end + 2);
    const bare = joined.indexOf('\n\n');
    if (bare >= 0) return joined.subarray(0, bare + 1);
    if (length > 1024 * 1024) break;
  }
  return Buffer.concat(parts, length);
}

function flatten(list: Address[]): string[] {
  return list.flatMap((a) => (a.group ? flatten(a.group) : a.address ? [a.address] : []));
}

/** The domain of the (first) RFC 5322 From address: the one DMARC aligns DKIM's d= with. */
export function fromDomain(headers: Buffer): string | undefined {
  // RFC 5322 §2.2.3: a folded header continues on lines starting with white space.
  const unfolded = headers.toString('utf8').replace(/\r?\n(?=[ \t])/g, '');
  const line = unfolded.split(/\r?\n/).find((l) => /^from\s*:/i.test(l));
  if (!line) return undefined;
  const [address] = flatten(addressparser(line.slice(line.indexOf(':') + 1)));
  const at = address?.lastIndexOf('@') ?? -1;
  if (!address || at < 0) return undefined;
  return address.slice(at + 1).toLowerCase();
}

export class SigningError extends Error {}

/**
 * DKIM-Signature header lines (RFC 6376) for a message, one per active key of its From domain
 * (RSA, and Ed25519 per RFC 8463 when enabled), or '' when the domain is not ours to sign for.
 */
export async function dkimSignatures(
  chunks: Buffer[],
  lookup: SigningKeysLookup,
  now: Date,
): Promise<{ domain?: string; headers: string; count: number }> {
  const domain = fromDomain(headerBlock(chunks));
  if (!domain) return { headers: '', count: 0 };
  const keys = await lookup(domain);
  if (keys.length === 0) return { domain, headers: '', count: 0 };
  const options = {
    canonicalization: 'relaxed/relaxed',
    signTime: now,
    signatureData: keys.map((k) => ({
      signingDomain: k.domain,
      selector: k.selector,
      privateKey: k.privateKeyPem,
      algorithm: k.algorithm,
    })),
  };
  // mailauth signs with every entry of signatureData; its typings also demand top-level key fields.
  const result = await dkimSign(Readable.from(chunks), options as unknown as DKIMSignOptions);
  if (result.errors.length > 0) throw new SigningError(result.errors.map((e) => e.message).join('; '));
  return { domain, headers: result.signatures, count: keys.length };
}
