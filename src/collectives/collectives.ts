import { z } from 'zod';
import { isRacine } from '../auth/actor';
import { authorize, Action } from '../auth/authorize';
import type { CommandContext, ServiceContext } from '../context';
import { errors } from '../errors';

/** Collectives: the one module that writes the `collectives` table. */

/** A collective's short name, as in URLs: the rule of the collectives_slug_format check. */
export const slugSchema = z.string().refine((v) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(v), {
  message: 'lowercase letters, digits and inner hyphens, 1–63 characters',
  params: {
    code: 'slug_invalid',
    fr: 'lettres minuscules, chiffres et tirets intérieurs, de 1 à 63 caractères',
  },
});

export interface CollectiveRow {
  id: string;
  slug: string;
  name: string;
  created_at: Date;
  updated_at: Date;
  /** Set while a racine keeps the collective suspended (see suspend-collective.ts). */
  suspended_at: Date | null;
  suspension_reason: string | null;
}

export function presentCollective(c: CollectiveRow) {
  return {
    id: c.id,
    slug: c.slug,
    name: c.name,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
    suspension: c.suspended_at ? { since: c.suspended_at, reason: c.suspension_reason } : null,
  };
}

/** The collective called `slug`, authorized for `action` (404 when the actor may not see it). */
export async function findCollectiveForActor(
  ctx: CommandContext,
  slug: string,
  action: Action,
): Promise<CollectiveRow> {
  const row: CollectiveRow | undefined = await ctx.db('collectives').where({ slug }).first();
  if (!row) throw errors.notFound();
  authorize(ctx.actor, action, { type: 'collective', collectiveId: row.id });
  return row;
}

/** Collectives the actor belongs to (all of them for a racine). */
export async function listCollectives(ctx: CommandContext): Promise<CollectiveRow[]> {
  const { actor } = ctx;
  const q = ctx.db('collectives').orderBy('slug');
  if (isRacine(actor)) return q;
  if (actor.type === 'account') return q.whereIn('id', [...actor.memberships.keys()]);
  if (actor.type === 'token') return q.where({ id: actor.collectiveId });
  return [];
}

export async function collectiveSlug(ctx: ServiceContext, collectiveId: string): Promise<string> {
  return (await ctx.db('collectives').where({ id: collectiveId }).first('slug')).slug;
}

export async function insertCollective(
  ctx: ServiceContext,
  input: { slug: string; name: string },
): Promise<CollectiveRow> {
  const [row] = await ctx.db('collectives').insert(input).returning('*');
  return row;
}

export async function updateCollectiveRow(
  ctx: ServiceContext,
  id: string,
  changes: { name?: string },
): Promise<CollectiveRow> {
  const [row] = await ctx
    .db('collectives')
    .where({ id })
    .update({ ...changes, updated_at: ctx.now() })
    .returning('*');
  return row;
}

/** Suspends (with the racine's reason) or lifts; undefined when it was already so. */
export async function writeCollectiveSuspension(
  ctx: ServiceContext,
  id: string,
  suspension: { reason: string } | null,
): Promise<CollectiveRow | undefined> {
  const q = ctx.db('collectives').where({ id });
  if (suspension) q.whereNull('suspended_at');
  else q.whereNotNull('suspended_at');
  const [row] = await q
    .update({
      suspended_at: suspension ? ctx.now() : null,
      suspension_reason: suspension?.reason ?? null,
      updated_at: ctx.now(),
    })
    .returning('*');
  return row;
}

/** Refused by the database while the collective has domains (409 collective_has_domains). */
export async function deleteCollectiveRow(ctx: ServiceContext, id: string): Promise<void> {
  await ctx.db('collectives').where({ id }).delete();
}
