import type { AppContext } from '../context';
import type { LocalizedText } from '../errors';
import { logger } from '../logger';
import { firingKeys, markFiring, markResolved, type AlertSeverity } from './alerts';
import { deliverAlert } from './deliver-alert';

/**
 * A condition the racines must hear about. `kind` names the family (`relay_down`, `disk_full`…,
 * docs/alerts.md lists them) and `subject` what it is about (a relay's name, a domain): together
 * they are the deduplication key, so the same condition raised again, by this copy of giroflee
 * or another, is announced once.
 */
export interface AlertInput {
  kind: string;
  subject?: string;
  /** Default `warning`; `critical` when mail is not flowing or about to be lost. */
  severity?: AlertSeverity;
  title: LocalizedText;
  /** What is wrong and what to do, for someone who reads it on a phone. */
  text: LocalizedText;
}

export interface AlertRef {
  kind: string;
  subject?: string;
}

export const alertKey = (ref: AlertRef): string => (ref.subject ? `${ref.kind}:${ref.subject}` : ref.kind);

/**
 * Raises an alert: announced on every channel when the condition is new (or came back after
 * being resolved), and only recorded as still seen otherwise. Resolves with true when this call
 * announced it. An alert is about the world, not about a change: it is written through the pool
 * (give it the AppContext, never a transaction), so it stands even when the caller's own work
 * rolls back. Never throws: a failure to raise or to deliver is logged, and an undelivered
 * alert is retried by the alerts component. Callers on a hot path may leave it unawaited.
 */
export async function raiseAlert(ctx: AppContext, alert: AlertInput): Promise<boolean> {
  const key = alertKey(alert);
  try {
    const row = await markFiring(ctx, {
      key,
      kind: alert.kind,
      subject: alert.subject ?? '',
      severity: alert.severity ?? 'warning',
      title: alert.title,
      text: alert.text,
    });
    if (!row) return false;
    logger.warn({ alert: key, severity: row.severity }, `alert raised: ${alert.title.en}`);
    await deliverAlert(ctx, key);
    return true;
  } catch (err) {
    logger.error({ err, alert: key }, 'alert not raised');
    return false;
  }
}

/**
 * Resolves an alert: when it was firing, the channels that heard of it are told it ended
 * (`resolution` says how, or a plain "the condition has ended"). Nothing happens for an alert
 * that was not firing. Same rules as raiseAlert: the pool, never throws.
 */
export async function resolveAlert(
  ctx: AppContext,
  ref: AlertRef,
  resolution?: LocalizedText,
): Promise<boolean> {
  const key = alertKey(ref);
  try {
    const row = await markResolved(ctx, key, resolution ?? null);
    if (!row) return false;
    logger.info({ alert: key }, 'alert resolved');
    await deliverAlert(ctx, key);
    return true;
  } catch (err) {
    logger.error({ err, alert: key }, 'alert not resolved');
    return false;
  }
}

/**
 * For a check that sees a whole family at once (every domain, every disk): raises each
 * condition it found and resolves those of the same kind that it no longer finds. A check that
 * sees only part of the family (this host's disks) names that part with `subjectPrefix`, so the
 * other hosts' alerts stay as they are.
 */
export async function reconcileAlerts(
  ctx: AppContext,
  kind: string,
  found: AlertInput[],
  opts: { subjectPrefix?: string } = {},
): Promise<void> {
  const current = new Set<string>();
  for (const alert of found) {
    if (alert.kind !== kind) throw new Error(`reconcileAlerts(${kind}) given an alert of kind ${alert.kind}`);
    if (opts.subjectPrefix && !alert.subject?.startsWith(opts.subjectPrefix)) {
      throw new Error(`reconcileAlerts(${kind}) given ${alert.subject} outside ${opts.subjectPrefix}`);
    }
    current.add(alertKey(alert));
    await raiseAlert(ctx, alert);
  }
  let firing: string[];
  try {
    firing = await firingKeys(ctx, kind);
  } catch (err) {
    logger.error({ err, kind }, 'alerts not reconciled');
    return;
  }
  for (const key of firing) {
    if (current.has(key)) continue;
    const subject = key.startsWith(`${kind}:`) ? key.slice(kind.length + 1) : undefined;
    if (opts.subjectPrefix && !subject?.startsWith(opts.subjectPrefix)) continue;
    await resolveAlert(ctx, { kind, subject });
  }
}
