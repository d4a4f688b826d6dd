import { z } from 'zod';
import type { Actor } from '../auth/actor';
import { isRacine } from '../auth/actor';
import { recordAudit, diffFields } from '../audit/record-audit';
import type { Db } from '../db/knex';
import { errors } from '../errors';

/** A collective's short name, as in URLs: the rule of the collectives_slug_format check. */
export const slugSchema = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'lowercase letters, digits and inner hyphens, 1–63 characters',
  );

export interface CollectiveRow {
  id: string;
  slug: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

export function presentCollective(c: CollectiveRow) {
  return { id: c.id, slug: c.slug, name: c.name, createdAt: c.created_at, updatedAt: c.updated_at };
}

export async function createCollective(
  db: Db,
  actor: Actor,
  input: { slug: string; name: string },
): Promise<CollectiveRow> {
  const [row] = await db('collectives').insert(input).returning('*');
  await recordAudit(db, actor, {
    action: 'collective.create',
    targetType: 'collective',
    targetId: row.id,
    collectiveId: row.id,
    details: { slug: row.slug, name: row.name },
  });
  return row;
}

/** Collectives the actor belongs to (all of them for a racine). */
export async function listCollectives(db: Db, actor: Actor): Promise<CollectiveRow[]> {
  const q = db('collectives').orderBy('slug');
  if (isRacine(actor)) return q;
  if (actor.type === 'account') return q.whereIn('id', [...actor.memberships.keys()]);
  if (actor.type === 'token') return q.where({ id: actor.collectiveId });
  return [];
}

export async function findCollectiveBySlug(db: Db, slug: string): Promise<CollectiveRow> {
  const row = await db('collectives').where({ slug }).first();
  if (!row) throw errors.notFound();
  return row;
}

export async function updateCollective(
  db: Db,
  actor: Actor,
  collective: CollectiveRow,
  input: { name?: string },
): Promise<CollectiveRow> {
  const [row] = await db('collectives')
    .where({ id: collective.id })
    .update({ ...input, updated_at: db.fn.now() })
    .returning('*');
  await recordAudit(db, actor, {
    action: 'collective.update',
    targetType: 'collective',
    targetId: row.id,
    collectiveId: row.id,
    details: diffFields(collective as unknown as Record<string, unknown>, input),
  });
  return row;
}

/** Deleting a collective that still has domains is refused (foreign key, 409 collective_has_domains). */
export async function deleteCollective(db: Db, actor: Actor, collective: CollectiveRow): Promise<void> {
  await db('collectives').where({ id: collective.id }).delete();
  await recordAudit(db, actor, {
    action: 'collective.delete',
    targetType: 'collective',
    targetId: collective.id,
    collectiveId: collective.id,
    details: { slug: collective.slug },
  });
}
