import { isRacine } from '../auth/actor';
import type { CommandContext } from '../context';
import { errors } from '../errors';

export interface AuditFilter {
  since?: Date;
  until?: Date;
  actor?: string;
  action?: string;
  collectiveId?: string;
  limit: number;
  before?: number;
}

/**
 * The audit log as the actor may see it: everything for a racine; for a collective admin (or
 * its token), only rows of the collectives they administer. Newest first, paged by id.
 */
export async function listAudit(ctx: CommandContext, filter: AuditFilter) {
  const { actor } = ctx;
  const q = ctx
    .db('audit_log')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (!isRacine(actor)) {
    const administered =
      actor.type === 'account'
        ? [...actor.memberships].filter(([, role]) => role === 'admin').map(([id]) => id)
        : actor.type === 'token'
          ? [actor.collectiveId]
          : [];
    if (!administered.length) throw errors.notFound();
    q.whereIn('collective_id', administered);
  }
  if (filter.collectiveId) q.where({ collective_id: filter.collectiveId });
  if (filter.since) q.where('at', '>=', filter.since);
  if (filter.until) q.where('at', '<', filter.until);
  if (filter.actor) {
    // Part of who acted (`compta@`, `token:`), case-insensitively, or their exact id.
    const pattern = `%${filter.actor.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const actor = filter.actor;
    q.where((w) => w.whereILike('actor_label', pattern).orWhereRaw('actor_id::text = ?', [actor]));
  }
  if (filter.action) {
    if (filter.action.endsWith('.')) q.whereLike('action', `${filter.action.replace(/_/g, '\\_')}%`);
    else q.where({ action: filter.action });
  }
  if (filter.before) q.where('id', '<', filter.before);
  const rows = await q.select('*');
  const more = rows.length > filter.limit;
  const items = (more ? rows.slice(0, filter.limit) : rows).map((r) => ({
    id: Number(r.id),
    at: r.at,
    actor: { type: r.actor_type, id: r.actor_id, label: r.actor_label },
    collectiveId: r.collective_id,
    action: r.action,
    target: { type: r.target_type, id: r.target_id },
    details: r.details,
  }));
  return { items, nextBefore: more ? items[items.length - 1].id : null };
}
