import * as openpgp from 'openpgp';
import type { Config } from '../config';
import type { RemoteHttp, ServiceContext } from '../context';
import { isActiveDomain } from '../domains/find-domain';
import { findWkdKeys, wkdHash } from '../encryption/wkd';
import type { EmailAddress } from '../names/email-address';
import { publicRemoteHttp } from './remote-http';

/**
 * The OpenPGP keys the webmail can encrypt a message to, end to end. Addresses at domains
 * giroflee serves are answered from its own Web Key Directory (what it publishes, nothing a
 * mailbox keeps private); others through the recipient domain's WKD, fetched by the server so the
 * writer's browser contacts no third party.
 */

export interface RecipientKey {
  /** `platform`: a mailbox of this platform; `wkd`: the recipient domain's Web Key Directory. */
  source: 'platform' | 'wkd';
  fingerprint: string;
  /** Armored public key(s) usable for encryption to this address. */
  publicKey: string;
}

const MAX_KEY_BYTES = 256 * 1024;
const TIMEOUT_MS = 5000;
/** Remote answers, found or not, are kept this long per running app. */
const REMOTE_CACHE_MS = 10 * 60_000;
const REMOTE_CACHE_ENTRIES = 5000;

const remoteCache = new WeakMap<Config, Map<string, { at: number; key: Promise<RecipientKey | null> }>>();

/** Keys with a user ID for `address` and an encryption subkey valid at `now`, armored. */
async function usable(
  keys: openpgp.Key[],
  address: string,
  now: Date,
  source: RecipientKey['source'],
): Promise<RecipientKey | null> {
  const kept: openpgp.Key[] = [];
  for (const key of keys) {
    // draft-koch-openpgp-webkey-service §3.1: the key must carry a user ID with the address.
    if (!key.users.some((u) => u.userID?.email.toLowerCase() === address)) continue;
    try {
      await key.getEncryptionKey(undefined, now);
      kept.push(key);
    } catch {
      // Expired, revoked or without an encryption subkey: not offered.
    }
  }
  if (kept.length === 0) return null;
  return {
    source,
    fingerprint: kept[0].getFingerprint().toUpperCase(),
    publicKey: kept.map((k) => k.armor()).join('\n'),
  };
}

async function readBinaryKeys(body: Uint8Array): Promise<openpgp.Key[]> {
  try {
    return await openpgp.readKeys({ binaryKeys: body });
  } catch {
    return [];
  }
}

/** draft §3.1: the advanced method on `openpgpkey.<domain>`, else the direct one on the domain. */
async function fetchWkd(http: RemoteHttp, address: EmailAddress, now: Date): Promise<RecipientKey | null> {
  const hash = wkdHash(address.localPart);
  const l = encodeURIComponent(address.localPart);
  const urls = [
    `https://openpgpkey.${address.domain}/.well-known/openpgpkey/${address.domain}/hu/${hash}?l=${l}`,
    `https://${address.domain}/.well-known/openpgpkey/hu/${hash}?l=${l}`,
  ];
  for (const url of urls) {
    try {
      const response = await http.get(new URL(url), {
        maxBytes: MAX_KEY_BYTES,
        timeoutMs: TIMEOUT_MS,
        accept: 'application/octet-stream',
      });
      if (response.status !== 200) continue;
      return await usable(await readBinaryKeys(response.body), address.address, now, 'wkd');
    } catch {
      // Unreachable or refused: the next method, then "no key".
    }
  }
  return null;
}

export async function findRecipientKey(
  ctx: ServiceContext,
  address: EmailAddress,
): Promise<RecipientKey | null> {
  const now = ctx.now();
  if (await isActiveDomain(ctx, address.domain)) {
    const binary = await findWkdKeys(ctx, address.domain, wkdHash(address.localPart));
    return binary ? usable(await readBinaryKeys(binary), address.address, now, 'platform') : null;
  }
  let cache = remoteCache.get(ctx.config);
  if (!cache) remoteCache.set(ctx.config, (cache = new Map()));
  const cached = cache.get(address.address);
  if (cached && Date.now() - cached.at < REMOTE_CACHE_MS) return cached.key;
  const key = fetchWkd(ctx.remoteHttp ?? publicRemoteHttp, address, now);
  if (cache.size >= REMOTE_CACHE_ENTRIES) cache.clear();
  cache.set(address.address, { at: Date.now(), key });
  return key;
}

/** The key of each address, or null where none is known (those recipients get clear mail). */
export async function findRecipientKeys(
  ctx: ServiceContext,
  addresses: EmailAddress[],
): Promise<Record<string, RecipientKey | null>> {
  const found = await Promise.all(addresses.map((a) => findRecipientKey(ctx, a)));
  return Object.fromEntries(addresses.map((a, i) => [a.address, found[i]]));
}
