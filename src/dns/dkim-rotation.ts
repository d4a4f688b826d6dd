import type { Actor } from '../auth/actor';
import { recordAudit } from '../audit/record-audit';
import { authorize } from '../auth/authorize';
import type { AppContext, CommandContext, ServiceContext } from '../context';
import { runInTransaction } from '../db/transaction';
import type { DomainRow } from '../domains/find-domain';
import { resolverOf } from './check-domain';
import { publicKeyOf } from './checks/dkim';
import { rotateDkimKey } from './commands/rotate-dkim-key';
import {
  activatePendingKey,
  DkimKeyRow,
  listLiveDkimKeys,
  listLiveDkimKeysOfAllDomains,
  retireKey,
} from './dkim-keys';

const DAY = 24 * 3600 * 1000;
const scheduler: Actor = { type: 'system', label: 'dkim-rotation' };

type DomainRef = Pick<DomainRow, 'id' | 'name' | 'collective_id'>;

/**
 * The scheduled step of DKIM rotation, one transaction per change: a pending key seen through
 * the owner's DNS (as receivers see it, through the recursive resolver) becomes active and the
 * previous one retiring; a retiring key older than the retention period is retired; a delegated
 * active key older than the rotation interval starts a new rotation. Returns what changed.
 */
export async function advanceDkimRotation(ctx: AppContext, domain: DomainRef): Promise<string[]> {
  const settings = ctx.config.dns;
  const now = ctx.now();
  const changes: string[] = [];
  const asScheduler = { ...ctx, actor: scheduler };
  /** One change to one key, audited, in its own transaction. */
  const step = (action: string, key: DkimKeyRow, change: (tx: ServiceContext) => Promise<void>) =>
    runInTransaction(asScheduler, async (tx) => {
      await change(tx);
      await recordAudit(tx, {
        action,
        targetType: 'dkim_key',
        targetId: key.id,
        collectiveId: domain.collective_id,
        details: { domain: domain.name, selector: key.selector },
      });
    });
  const keys = await listLiveDkimKeys(ctx, domain.id);

  for (const pending of keys.filter((k) => k.state === 'pending')) {
    const r = await resolverOf(ctx).query(`${pending.selector}._domainkey.${domain.name}`, 'TXT');
    const seen =
      r.status === 'ok' &&
      r.records.some((x) => x.type === 'TXT' && publicKeyOf(x.value.join('')) === pending.public_key);
    if (!seen) continue;
    await step('dkim.activate', pending, (tx) => activatePendingKey(tx, pending));
    changes.push(`activated ${pending.selector}`);
  }

  const retention = settings.dkimRetentionDays * DAY;
  for (const k of keys.filter((x) => x.state === 'retiring' && x.retiring_at)) {
    if (now.getTime() - (k.retiring_at as Date).getTime() < retention) continue;
    await step('dkim.retire', k, (tx) => retireKey(tx, k.id));
    changes.push(`retired ${k.selector}`);
  }

  const next = nextDkimRotation(settings, await listLiveDkimKeys(ctx, domain.id));
  if (next && now.getTime() >= next.getTime()) {
    await runInTransaction(asScheduler, (tx) => rotateDkimKey(tx, domain));
    changes.push('rotation started');
  }
  return changes;
}

/**
 * When the scheduled step will start a domain's next rotation, from its live keys: once a
 * delegated active key is the rotation interval old, and no rotation is under way (a pending or
 * retiring key). Null when none will: keys the owner publishes as TXT are rotated by hand.
 */
export function nextDkimRotation(
  settings: { dkimRotationDays: number },
  keys: Array<Pick<DkimKeyRow, 'state' | 'mode' | 'activated_at' | 'created_at'>>,
): Date | null {
  if (keys.some((k) => k.state === 'pending' || k.state === 'retiring')) return null;
  const starts = keys
    .filter((k) => k.state === 'active' && k.mode === 'delegated')
    .map((k) => (k.activated_at ?? k.created_at).getTime() + settings.dkimRotationDays * DAY);
  return starts.length ? new Date(Math.min(...starts)) : null;
}

/**
 * Every domain's DKIM state at a glance (racines): the selectors signing now, a key waiting to
 * be seen in DNS, a key retiring and when it stops being published, the next scheduled rotation.
 */
export async function dkimOverview(ctx: CommandContext) {
  authorize(ctx.actor, 'read', { type: 'platform' });
  const rows = await listLiveDkimKeysOfAllDomains(ctx);
  const byDomain = new Map<string, typeof rows>();
  for (const r of rows) byDomain.set(r.domain_name, [...(byDomain.get(r.domain_name) ?? []), r]);
  const retention = ctx.config.dns.dkimRetentionDays * DAY;
  return [...byDomain].map(([domain, keys]) => ({
    domain,
    mode: keys[0].mode,
    active: keys.filter((k) => k.state === 'active').map((k) => k.selector),
    pending: keys.filter((k) => k.state === 'pending').map((k) => k.selector),
    retiring: keys
      .filter((k) => k.state === 'retiring')
      .map((k) => ({
        selector: k.selector,
        until: k.retiring_at ? new Date(k.retiring_at.getTime() + retention) : null,
      })),
    nextRotationAt: nextDkimRotation(ctx.config.dns, keys),
  }));
}
