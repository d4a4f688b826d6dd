import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { AppContext } from '../context';
import type { Db } from '../db/knex';
import { envelopeContext, unwrapSecret, wrapSecret } from '../encryption/envelope';
import type { Keyring } from '../encryption/master-key';
import { checkDomainName } from '../names/domain-name';

export type DkimAlgorithm = 'rsa' | 'ed25519';
export type DkimMode = 'delegated' | 'txt';
export type DkimState = 'pending' | 'active' | 'retiring' | 'retired';

export interface DkimKeyRow {
  id: string;
  domain_id: string;
  selector: string;
  algorithm: DkimAlgorithm;
  mode: DkimMode;
  public_key: string;
  private_key: string;
  state: DkimState;
  created_at: Date;
  activated_at: Date | null;
  retiring_at: Date | null;
  retired_at: Date | null;
  updated_at: Date;
}

/**
 * Two fixed selectors per algorithm, used in turn: the customer publishes both CNAMEs once,
 * and each rotation puts the new key behind the selector that is not in use.
 */
export const SELECTORS: Record<DkimAlgorithm, [string, string]> = {
  rsa: ['giroflee1', 'giroflee2'],
  ed25519: ['giroflee1e', 'giroflee2e'],
};

export const otherSelector = (algorithm: DkimAlgorithm, selector: string): string => {
  const [a, b] = SELECTORS[algorithm];
  return selector === a ? b : a;
};

const generateKeyPair = promisify(crypto.generateKeyPair);

/** A new key pair: PKCS#8 PEM private key and the DKIM `p=` value (RFC 6376 §3.6.1, RFC 8463 §4.2). */
export async function generateDkimKeyPair(
  algorithm: DkimAlgorithm,
): Promise<{ privateKeyPem: string; publicKey: string }> {
  if (algorithm === 'rsa') {
    const { privateKey, publicKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
    return {
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    };
  }
  const { privateKey, publicKey } = await generateKeyPair('ed25519');
  // RFC 8463 §4.2: p= is the raw 32-byte Ed25519 key, the last 32 bytes of its SPKI.
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: spki.subarray(spki.length - 32).toString('base64'),
  };
}

/** The TXT value of a key record (RFC 6376 §3.6.1). */
export const dkimTxtValue = (key: Pick<DkimKeyRow, 'algorithm' | 'public_key'>): string =>
  `v=DKIM1; k=${key.algorithm}; p=${key.public_key}`;

const privateKeyContext = (id: string) => envelopeContext('dkim_keys', 'private_key', id);

/** Inserts a new key in `state`; returns undefined when the (domain, algorithm, state) slot is taken. */
export async function insertDkimKey(
  db: Db,
  ctx: Pick<AppContext, 'keyring' | 'now'>,
  attrs: { domainId: string; algorithm: DkimAlgorithm; selector: string; mode: DkimMode; state: DkimState },
): Promise<DkimKeyRow | undefined> {
  const pair = await generateDkimKeyPair(attrs.algorithm);
  const id = crypto.randomUUID();
  const now = ctx.now();
  // ON CONFLICT DO NOTHING: two callers racing to create the first key must not abort a transaction.
  const result = await db.raw(
    `INSERT INTO dkim_keys (id, domain_id, selector, algorithm, mode, public_key, private_key, state,
       created_at, activated_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING RETURNING *`,
    [
      id,
      attrs.domainId,
      attrs.selector,
      attrs.algorithm,
      attrs.mode,
      pair.publicKey,
      wrapSecret(ctx.keyring, pair.privateKeyPem, privateKeyContext(id)),
      attrs.state,
      now,
      attrs.state === 'active' ? now : null,
      now,
    ],
  );
  return result.rows[0] as DkimKeyRow | undefined;
}

export function algorithmsOf(ctx: Pick<AppContext, 'config'>): DkimAlgorithm[] {
  return ctx.config.dns.dkimEd25519 ? ['rsa', 'ed25519'] : ['rsa'];
}

/**
 * Gives a domain its first active key(s) when it has none (called when a domain is created, and
 * lazily by the record plan). The mode of an existing key of the domain is kept.
 */
export async function ensureDomainDkimKey(
  db: Db,
  ctx: Pick<AppContext, 'keyring' | 'now' | 'config'>,
  domainId: string,
): Promise<DkimKeyRow[]> {
  const existing: DkimKeyRow[] = await db('dkim_keys')
    .where({ domain_id: domainId })
    .whereNot({ state: 'retired' });
  const mode: DkimMode = existing[0]?.mode ?? 'delegated';
  for (const algorithm of algorithmsOf(ctx)) {
    if (existing.some((k) => k.algorithm === algorithm && k.state === 'active')) continue;
    await insertDkimKey(db, ctx, {
      domainId,
      algorithm,
      selector: SELECTORS[algorithm][0],
      mode,
      state: 'active',
    });
  }
  return db('dkim_keys').where({ domain_id: domainId }).whereNot({ state: 'retired' }).orderBy('created_at');
}

/** Every key of a domain, retired ones included, newest first (for the API's history view). */
export async function listDkimKeys(db: Db, domainId: string): Promise<DkimKeyRow[]> {
  return db('dkim_keys').where({ domain_id: domainId }).orderBy('created_at', 'desc');
}

export interface SigningKey {
  domain: string;
  selector: string;
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  privateKeyPem: string;
}

/**
 * The keys the outbound gateway signs with for `domainName`: the active keys of an active
 * domain, unwrapped; an empty list for any other name (unknown, pending, suspended).
 */
export async function getSigningKeys(db: Db, keyring: Keyring, domainName: string): Promise<SigningKey[]> {
  const parsed = checkDomainName(domainName);
  if (!parsed.ok) return [];
  const rows: Array<DkimKeyRow & { domain_name: string }> = await db('dkim_keys as k')
    .join('domains as d', 'd.id', 'k.domain_id')
    .where({ 'd.name': parsed.value, 'd.status': 'active', 'k.state': 'active' })
    .select('k.*', 'd.name as domain_name')
    .orderBy('k.algorithm', 'desc');
  return rows.map((k) => ({
    domain: k.domain_name,
    selector: k.selector,
    algorithm: k.algorithm === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256',
    privateKeyPem: unwrapSecret(keyring, k.private_key, privateKeyContext(k.id)).toString('utf8'),
  }));
}

/** What the API shows of a key: never the private part. */
export function presentDkimKey(k: DkimKeyRow) {
  return {
    id: k.id,
    selector: k.selector,
    algorithm: k.algorithm,
    mode: k.mode,
    state: k.state,
    publicKey: k.public_key,
    createdAt: k.created_at,
    activatedAt: k.activated_at,
    retiringAt: k.retiring_at,
    retiredAt: k.retired_at,
  };
}
