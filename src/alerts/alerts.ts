import type { ServiceContext } from '../context';
import type { LocalizedText } from '../errors';

/**
 * The `alerts` table, written only here. One row per condition (its key); each write that turns
 * a condition on or off is one statement, so when several giroflee copies see the same
 * condition, exactly one of them gets the row back and announces it.
 */
export type AlertSeverity = 'warning' | 'critical';
export type AlertState = 'firing' | 'resolved';
/** Where alerts go: the racines' mailboxes, and a Mattermost/Slack incoming webhook. */
export type AlertChannel = 'email' | 'webhook';

export interface AlertRow {
  key: string;
  kind: string;
  subject: string;
  severity: AlertSeverity;
  state: AlertState;
  title: LocalizedText;
  text: LocalizedText;
  resolution: LocalizedText | null;
  raised_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
  version: number;
  told: Partial<Record<AlertChannel, AlertState>>;
  delivered: boolean;
  claimed_until: Date | null;
  retry_at: Date | null;
  attempts: number;
}

export interface AlertFields {
  key: string;
  kind: string;
  subject: string;
  severity: AlertSeverity;
  title: LocalizedText;
  text: LocalizedText;
}

const json = (v: unknown) => JSON.stringify(v);

/**
 * Records that the condition holds. Returns the row when this call turned it on (new, or
 * resolved before), undefined when it was already firing (then only its last sighting and
 * wording are refreshed).
 */
export async function markFiring(ctx: ServiceContext, a: AlertFields): Promise<AlertRow | undefined> {
  const now = ctx.now();
  const fields = { severity: a.severity, title: json(a.title), text: json(a.text), last_seen_at: now };
  const [inserted] = await ctx
    .db('alerts')
    .insert({ key: a.key, kind: a.kind, subject: a.subject, state: 'firing', raised_at: now, ...fields })
    .onConflict('key')
    .ignore()
    .returning('*');
  if (inserted) return inserted;
  // Under READ COMMITTED a second copy waits for the first one's row lock, then finds the row
  // firing and matches nothing: only one copy reopens it.
  const [reopened] = await ctx
    .db('alerts')
    .where({ key: a.key, state: 'resolved' })
    .update({
      ...fields,
      state: 'firing',
      raised_at: now,
      resolved_at: null,
      resolution: null,
      version: ctx.db.raw('version + 1'),
      delivered: false,
      retry_at: null,
      attempts: 0,
    })
    .returning('*');
  if (reopened) return reopened;
  await ctx.db('alerts').where({ key: a.key, state: 'firing' }).update(fields);
  return undefined;
}

/** Records that the condition ended. Returns the row when this call turned it off. */
export async function markResolved(
  ctx: ServiceContext,
  key: string,
  resolution: LocalizedText | null,
): Promise<AlertRow | undefined> {
  const [row] = await ctx
    .db('alerts')
    .where({ key, state: 'firing' })
    .update({
      state: 'resolved',
      resolved_at: ctx.now(),
      resolution: resolution ? json(resolution) : null,
      version: ctx.db.raw('version + 1'),
      delivered: false,
      retry_at: null,
      attempts: 0,
    })
    .returning('*');
  return row;
}

export async function getAlert(ctx: ServiceContext, key: string): Promise<AlertRow | undefined> {
  return ctx.db('alerts').where({ key }).first();
}

/** Keys of the alerts of `kind` firing now. */
export async function firingKeys(ctx: ServiceContext, kind: string): Promise<string[]> {
  return ctx.db('alerts').where({ kind, state: 'firing' }).pluck('key');
}

/** Alerts firing now, by kind (for the metric). */
export async function countFiring(ctx: ServiceContext): Promise<Array<{ kind: string; n: number }>> {
  return ctx
    .db('alerts')
    .where({ state: 'firing' })
    .groupBy('kind')
    .select('kind', ctx.db.raw('count(*)::int AS n'));
}

export async function listAlerts(
  ctx: ServiceContext,
  filter: { state?: AlertState; limit: number },
): Promise<AlertRow[]> {
  const q = ctx.db('alerts').orderBy([
    { column: 'state', order: 'asc' },
    { column: 'last_seen_at', order: 'desc' },
  ]);
  if (filter.state) q.where({ state: filter.state });
  return q.limit(filter.limit);
}

/** Alerts whose channels are not all told of their state and whose next try is due. */
export async function undeliveredKeys(ctx: ServiceContext, limit = 100): Promise<string[]> {
  const now = ctx.now();
  return ctx
    .db('alerts')
    .where({ delivered: false })
    .andWhere((q) => q.whereNull('retry_at').orWhere('retry_at', '<=', now))
    .andWhere((q) => q.whereNull('claimed_until').orWhere('claimed_until', '<=', now))
    .orderBy('raised_at')
    .limit(limit)
    .pluck('key');
}

/**
 * Takes the row for delivery until `until`, unless another copy holds it or its next try is not
 * due. Returns the row when taken.
 */
export async function claimDelivery(
  ctx: ServiceContext,
  key: string,
  until: Date,
): Promise<AlertRow | undefined> {
  const now = ctx.now();
  const [row] = await ctx
    .db('alerts')
    .where({ key, delivered: false })
    .andWhere((q) => q.whereNull('retry_at').orWhere('retry_at', '<=', now))
    .andWhere((q) => q.whereNull('claimed_until').orWhere('claimed_until', '<=', now))
    .update({ claimed_until: until })
    .returning('*');
  return row;
}

/** Records what `channel` was just told; returns the row as it is now (its state may have moved). */
export async function recordTold(
  ctx: ServiceContext,
  key: string,
  channel: AlertChannel,
  state: AlertState,
): Promise<AlertRow> {
  const [row] = await ctx
    .db('alerts')
    .where({ key })
    .update({ told: ctx.db.raw('told || jsonb_build_object(?::text, ?::text)', [channel, state]) })
    .returning('*');
  return row;
}

/**
 * Ends a delivery. Done: the row is delivered, unless its state changed since `version` was read
 * (then it stays undelivered, for the caller's next round). Not done: the next try waits until
 * `retryAt`.
 */
export async function finishDelivery(
  ctx: ServiceContext,
  key: string,
  outcome: { done: true; version: number } | { done: false; retryAt: Date },
): Promise<boolean> {
  const q = ctx.db('alerts').where({ key });
  const updated = outcome.done
    ? await q
        .andWhere({ version: outcome.version })
        .update({ delivered: true, claimed_until: null, retry_at: null, attempts: 0 })
    : await q.update({
        claimed_until: null,
        retry_at: outcome.retryAt,
        attempts: ctx.db.raw('attempts + 1'),
      });
  return updated > 0;
}

/** Retention: removes up to `limit` alerts resolved before `before`. Returns how many. */
export async function deleteResolvedAlerts(
  ctx: ServiceContext,
  before: Date,
  limit: number,
): Promise<number> {
  const keys = ctx
    .db('alerts')
    .select('key')
    .where({ state: 'resolved', delivered: true })
    .andWhere('resolved_at', '<', before)
    .limit(limit);
  return ctx.db('alerts').whereIn('key', keys).delete();
}
