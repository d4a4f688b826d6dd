import crypto from 'node:crypto';
import { domainToUnicode } from 'node:url';
import type { ServiceContext } from '../context';
import { errors } from '../errors';
import type { DomainName } from '../names/domain-name';
import type { DomainRow } from './find-domain';

/** Domains: the one module that writes the `domains` table. */

/** The TXT record that proves a collective controls a domain. */
export function verificationRecord(d: Pick<DomainRow, 'name' | 'verification_token'>) {
  return {
    type: 'TXT' as const,
    name: `_giroflee.${d.name}`,
    value: `giroflee-verification=${d.verification_token}`,
  };
}

export function presentDomain(d: DomainRow & { collective_slug?: string }) {
  return {
    id: d.id,
    name: d.name,
    unicodeName: domainToUnicode(d.name),
    collective: d.collective_slug,
    status: d.status,
    verification: d.status === 'pending' ? verificationRecord(d) : null,
    verifiedAt: d.verified_at,
    lastCheck: d.last_check ?? null,
    lastCheckedAt: d.last_checked_at,
    createdAt: d.created_at,
  };
}

/**
 * Serializes, until the caller's transaction ends, every change that depends on which
 * addresses and claims exist under one name (claims, mailboxes, aliases).
 */
export async function lockDomainName(ctx: ServiceContext, name: string): Promise<void> {
  await ctx.db.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`domain:${name}`]);
}

/** Every suffix of a name that could be a registered parent: a.b.example.org → b.example.org, example.org. */
function parentNames(name: string): string[] {
  const labels = name.split('.');
  const out: string[] = [];
  for (let i = 1; i < labels.length - 1; i++) out.push(labels.slice(i).join('.'));
  return out;
}

/** Refuses a name another collective holds, or a subdomain of one (call under lockDomainName). */
export async function assertNameClaimable(
  ctx: ServiceContext,
  collectiveId: string,
  name: DomainName,
): Promise<void> {
  const held = await ctx.db('domains').where({ name }).whereNot({ status: 'pending' }).first('collective_id');
  if (held && held.collective_id !== collectiveId) {
    throw errors.conflict('domain_taken', {
      fr: 'Ce domaine est déjà utilisé par un autre collectif. S’il vous appartient, écrivez aux racines.',
      en: 'This domain is already used by another collective. If it is yours, write to the racines.',
    });
  }
  const parents = parentNames(name);
  if (parents.length) {
    const parent = await ctx
      .db('domains')
      .whereIn('name', parents)
      .whereNot({ status: 'pending' })
      .whereNot({ collective_id: collectiveId })
      .first('name');
    if (parent) {
      throw errors.conflict('parent_domain_taken', {
        fr: `Ce nom est un sous-domaine de ${parent.name}, qui appartient à un autre collectif.`,
        en: `This name is a subdomain of ${parent.name}, which belongs to another collective.`,
      });
    }
  }
}

/** A pending claim, with a new verification token. */
export async function insertDomain(
  ctx: ServiceContext,
  input: { name: DomainName; collectiveId: string },
): Promise<DomainRow> {
  const [row] = await ctx
    .db('domains')
    .insert({
      name: input.name,
      collective_id: input.collectiveId,
      verification_token: crypto.randomBytes(20).toString('hex'),
    })
    .returning('*');
  return row;
}

export async function getDomain(ctx: ServiceContext, id: string): Promise<DomainRow | undefined> {
  return ctx.db('domains').where({ id }).first();
}

/** Domains with their collective's slug, by name; every filter optional. */
export async function listDomains(
  ctx: ServiceContext,
  filter: { collectiveId?: string; collectiveSlug?: string; status?: string },
): Promise<Array<DomainRow & { collective_slug: string }>> {
  const q = ctx
    .db('domains as d')
    .join('collectives as c', 'c.id', 'd.collective_id')
    .orderBy('d.name')
    .select('d.*', 'c.slug as collective_slug');
  if (filter.collectiveId) q.where('d.collective_id', filter.collectiveId);
  if (filter.collectiveSlug) q.where('c.slug', filter.collectiveSlug);
  if (filter.status) q.where('d.status', filter.status);
  return q;
}

export async function countDomains(ctx: ServiceContext): Promise<number> {
  const [{ n }] = await ctx.db('domains').count<{ n: string }[]>({ n: '*' });
  return Number(n);
}

/** Domains not checked within `intervalMs`, oldest check first (suspended ones are left alone). */
export async function domainsDueForCheck(
  ctx: ServiceContext,
  intervalMs: number,
  limit: number,
): Promise<DomainRow[]> {
  return ctx
    .db('domains')
    .where((q) =>
      q
        .whereNull('last_checked_at')
        .orWhere('last_checked_at', '<', new Date(ctx.now().getTime() - intervalMs)),
    )
    .whereNot({ status: 'suspended' })
    .orderByRaw('last_checked_at NULLS FIRST')
    .limit(limit);
}

/** Stores a DNS check report on the domain (last_check, last_checked_at). */
export async function storeDomainCheck<R extends { checkedAt: string }>(
  ctx: ServiceContext,
  domainId: string,
  report: R,
): Promise<void> {
  await ctx
    .db('domains')
    .where({ id: domainId })
    .update({ last_check: JSON.stringify(report), last_checked_at: report.checkedAt });
}

/** The pending claim made active; other claims on the name are left to the caller. */
export async function markDomainActive(ctx: ServiceContext, id: string): Promise<void> {
  await ctx
    .db('domains')
    .where({ id })
    .update({ status: 'active', verified_at: ctx.now(), updated_at: ctx.now() });
}

/** Whether a collective already holds `name` (its claim is not pending). */
export async function isNameHeld(ctx: ServiceContext, name: string): Promise<boolean> {
  return Boolean(await ctx.db('domains').where({ name }).whereNot({ status: 'pending' }).first('id'));
}

/**
 * The one pending claim on `name` a racine means (`giroflee domain activate`): 404 when there is
 * none, 409 naming the collectives when several claim it and `collectiveSlug` does not choose.
 */
export async function findPendingClaim(
  ctx: ServiceContext,
  name: string,
  collectiveSlug?: string,
): Promise<DomainRow & { collective_slug: string }> {
  const claims = await pendingClaims(ctx, name, { collectiveSlug });
  if (claims.length === 0)
    throw errors.notFound(undefined, {
      fr: `Aucune demande en attente pour ${name}.`,
      en: `No pending claim for ${name}.`,
    });
  if (claims.length > 1) {
    const slugs = claims.map((c) => c.collective_slug).join(', ');
    throw errors.conflict('several_claims', {
      fr: `Plusieurs collectifs demandent ${name} : précisez --collective (${slugs}).`,
      en: `Several collectives claim ${name}: give --collective (${slugs}).`,
    });
  }
  return claims[0];
}

/** Pending claims on `name`, with their collective's slug. */
export async function pendingClaims(
  ctx: ServiceContext,
  name: string,
  filter: { collectiveSlug?: string; exceptId?: string } = {},
): Promise<Array<DomainRow & { collective_slug: string }>> {
  const q = ctx
    .db('domains as d')
    .join('collectives as c', 'c.id', 'd.collective_id')
    .where({ 'd.name': name, 'd.status': 'pending' })
    .select('d.*', 'c.slug as collective_slug');
  if (filter.collectiveSlug) q.where('c.slug', filter.collectiveSlug);
  if (filter.exceptId) q.whereNot('d.id', filter.exceptId);
  return q;
}

/** Its mailboxes and aliases go with it (foreign keys ON DELETE CASCADE). */
export async function deleteDomainRow(ctx: ServiceContext, id: string): Promise<void> {
  await ctx.db('domains').where({ id }).delete();
}
