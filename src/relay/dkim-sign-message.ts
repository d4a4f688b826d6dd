import { Readable } from 'node:stream';
import { dkimSign, type DKIMSignOptions } from 'mailauth';
import { headerAddresses, unfold } from './header-addresses';

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

/** The (first) RFC 5322 From address: the one DMARC aligns DKIM's d= with. */
export const fromAddress = (headers: Buffer): string | undefined => headerAddress(headers, 'from');

/** The first address of the first header field named `name` (lower case), if any. */
export function headerAddress(headers: Buffer, name: string): string | undefined {
  const line = unfold(headers.toString('utf8'))
    .split(/\r?\n/)
    .find((l) => l.toLowerCase().startsWith(name) && /^\s*:/.test(l.slice(name.length)));
  if (!line) return undefined;
  const [address] = headerAddresses(line.slice(line.indexOf(':') + 1));
  return address?.includes('@') ? address : undefined;
}

export class SigningError extends Error {}

/**
 * DKIM-Signature header lines (RFC 6376) for a message, one per given key of its From domain
 * (RSA, and Ed25519 per RFC 8463 when enabled), or '' when there is none.
 */
export async function dkimSignatures(
  chunks: Buffer[],
  keys: SigningKey[],
  now: Date,
): Promise<{ headers: string; count: number }> {
  if (keys.length === 0) return { headers: '', count: 0 };
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
  return { headers: result.signatures, count: keys.length };
}
