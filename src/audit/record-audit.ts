import type { Db } from '../db/knex';
import { Actor, actorLabel } from '../auth/actor';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  collectiveId?: string | null;
  /** Changed fields only, before and after. Never secrets, never an IP address. */
  details?: Record<string, unknown>;
}

/** Writes one audit row in the caller's transaction, so the log and the change commit together. */
export async function recordAudit(db: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await db('audit_log').insert({
    actor_type: actor.type,
    actor_id: actor.type === 'system' ? null : actor.id,
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
