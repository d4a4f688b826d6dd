import type { Actor } from '../auth/actor';
import { recordAudit } from '../audit/record-audit';
import type { AppContext, ServiceContext } from '../context';
import { runInTransaction } from '../db/transaction';
import type { DomainRow } from '../domains/find-domain';
import { resolverOf } from './check-domain';
import { publicKeyOf } from './checks/dkim';
import { rotateDkimKey } from './commands/rotate-dkim-key';
import { activatePendingKey, DkimKeyRow, listLiveDkimKeys, retireKey } from './dkim-keys';

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

  const current = await listLiveDkimKeys(ctx, domain.id);
  const due = current.some(
    (k) =>
      k.state === 'active' &&
      k.mode === 'delegated' &&
      now.getTime() - (k.activated_at ?? k.created_at).getTime() >= settings.dkimRotationDays * DAY,
  );
  const busy = current.some((k) => k.state === 'pending' || k.state === 'retiring');
  if (due && !busy) {
    await runInTransaction(asScheduler, (tx) => rotateDkimKey(tx, domain));
    changes.push('rotation started');
  }
  return changes;
}
