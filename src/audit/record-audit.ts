import { actorId, actorLabel } from '../auth/actor';
import type { CommandContext, ServiceContext } from '../context';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  collectiveId?: string | null;
  /** Changed fields only, before and after. Never secrets, never an IP address. */
  details?: Record<string, unknown>;
}

/**
 * Writes one audit row for the context's actor in the caller's transaction, so the log and the
 * change commit together.
 */
export async function recordAudit(ctx: CommandContext, entry: AuditEntry): Promise<void> {
  const { actor } = ctx;
  await ctx.db('audit_log').insert({
    actor_type: actor.type,
    actor_id: actorId(actor),
    actor_label: actorLabel(actor),
    collective_id: entry.collectiveId ?? null,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId ?? null,
    details: JSON.stringify(entry.details ?? {}),
  });
}

/** The before/after of the fields that changed, secret fields left out. */
export function diffFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  secret: readonly string[] = [],
): Record<string, { before: unknown; after: unknown }> {
  const out: Record<string, { before: unknown; after: unknown }> = {};
  for (const key of Object.keys(after)) {
    if (secret.includes(key)) continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      out[key] = { before: before[key], after: after[key] };
  }
  return out;
}

/**
 * Retention: empties the details (the before and after of what changed) of up to `limit` entries
 * older than `before`; who did what to which target stays. Returns how many.
 */
export async function scrubAuditDetails(ctx: ServiceContext, before: Date, limit: number): Promise<number> {
  const ids = ctx
    .db('audit_log')
    .select('id')
    .where('at', '<', before)
    .andWhereRaw("details <> '{}'::jsonb")
    .limit(limit);
  return ctx.db('audit_log').whereIn('id', ids).update({ details: '{}' });
}

/** Retention: removes up to `limit` entries older than `before`. Returns how many. */
export async function deleteAuditBefore(ctx: ServiceContext, before: Date, limit: number): Promise<number> {
  const ids = ctx.db('audit_log').select('id').where('at', '<', before).limit(limit);
  return ctx.db('audit_log').whereIn('id', ids).delete();
}
