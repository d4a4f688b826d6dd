import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { ServiceContext } from '../context';
import { envelopeContext, unwrapSecret, wrapSecret } from '../encryption/envelope';
import { checkDomainName } from '../names/domain-name';

/** DKIM keys: the one module that writes the `dkim_keys` table. */

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
  ctx: ServiceContext,
  attrs: { domainId: string; algorithm: DkimAlgorithm; selector: string; mode: DkimMode; state: DkimState },
): Promise<DkimKeyRow | undefined> {
  const pair = await generateDkimKeyPair(attrs.algorithm);
  const id = crypto.randomUUID();
  const now = ctx.now();
  // ON CONFLICT DO NOTHING: two callers racing to create the first key must not abort a transaction.
  const result = await ctx.db.raw(
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

const algorithmsOf = (ctx: ServiceContext): DkimAlgorithm[] =>
  ctx.config.dns.dkimEd25519 ? ['rsa', 'ed25519'] : ['rsa'];

/** The keys a domain publishes (pending, active, retiring), oldest first. */
export async function listLiveDkimKeys(ctx: ServiceContext, domainId: string): Promise<DkimKeyRow[]> {
  return ctx
    .db('dkim_keys')
    .where({ domain_id: domainId })
    .whereNot({ state: 'retired' })
    .orderBy('created_at');
}

/** Every live key of every domain, with its domain's name: the racines' overview, in one query. */
export async function listLiveDkimKeysOfAllDomains(
  ctx: ServiceContext,
): Promise<Array<DkimKeyRow & { domain_name: string }>> {
  return ctx
    .db('dkim_keys as k')
    .join('domains as d', 'd.id', 'k.domain_id')
    .whereNot('k.state', 'retired')
    .orderBy(['d.name', 'k.created_at'])
    .select('k.*', 'd.name as domain_name');
}

/** Every key of a domain, retired ones included, newest first (the history the API and CLI show). */
export async function listDkimKeys(ctx: ServiceContext, domainId: string): Promise<DkimKeyRow[]> {
  return ctx.db('dkim_keys').where({ domain_id: domainId }).orderBy('created_at', 'desc');
}

/**
 * Gives a domain an active key for each algorithm it lacks: when the domain is created, and
 * before anything that needs its keys (activation, a change of mode, a check) on a domain made
 * before keys came with creation. The mode of an existing key of the domain is kept.
 */
export async function ensureDomainDkimKey(ctx: ServiceContext, domainId: string): Promise<DkimKeyRow[]> {
  const existing = await listLiveDkimKeys(ctx, domainId);
  const mode: DkimMode = existing[0]?.mode ?? 'delegated';
  for (const algorithm of algorithmsOf(ctx)) {
    if (existing.some((k) => k.algorithm === algorithm && k.state === 'active')) continue;
    await insertDkimKey(ctx, {
      domainId,
      algorithm,
      selector: SELECTORS[algorithm][0],
      mode,
      state: 'active',
    });
  }
  return listLiveDkimKeys(ctx, domainId);
}

/** Publishes every live key of the domain in `mode`; returns how many changed. */
export async function setDkimKeysMode(
  ctx: ServiceContext,
  domainId: string,
  mode: DkimMode,
): Promise<number> {
  return ctx
    .db('dkim_keys')
    .where({ domain_id: domainId })
    .whereNot({ state: 'retired' })
    .whereNot({ mode })
    .update({ mode, updated_at: ctx.now() });
}

/** A pending key seen in DNS becomes active; the active key of its algorithm starts retiring. */
export async function activatePendingKey(ctx: ServiceContext, key: DkimKeyRow): Promise<void> {
  const now = ctx.now();
  await ctx
    .db('dkim_keys')
    .where({ domain_id: key.domain_id, algorithm: key.algorithm, state: 'active' })
    .update({ state: 'retiring', retiring_at: now, updated_at: now });
  await ctx
    .db('dkim_keys')
    .where({ id: key.id, state: 'pending' })
    .update({ state: 'active', activated_at: now, updated_at: now });
}

/** A retiring key past its retention period is no longer published. */
export async function retireKey(ctx: ServiceContext, id: string): Promise<void> {
  const now = ctx.now();
  await ctx
    .db('dkim_keys')
    .where({ id, state: 'retiring' })
    .update({ state: 'retired', retired_at: now, updated_at: now });
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
export async function getSigningKeys(ctx: ServiceContext, domainName: string): Promise<SigningKey[]> {
  const parsed = checkDomainName(domainName);
  if (!parsed.ok) return [];
  const rows: Array<DkimKeyRow & { domain_name: string }> = await ctx
    .db('dkim_keys as k')
    .join('domains as d', 'd.id', 'k.domain_id')
    .where({ 'd.name': parsed.value, 'd.status': 'active', 'k.state': 'active' })
    .select('k.*', 'd.name as domain_name')
    .orderBy('k.algorithm', 'desc');
  return rows.map((k) => ({
    domain: k.domain_name,
    selector: k.selector,
    algorithm: k.algorithm === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256',
    privateKeyPem: unwrapSecret(ctx.keyring, k.private_key, privateKeyContext(k.id)).toString('utf8'),
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
