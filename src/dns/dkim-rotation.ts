import type { Actor } from '../auth/actor';
import { recordAudit } from '../audit/record-audit';
import type { AppContext } from '../context';
import { errors } from '../errors';
import { resolverOf } from './check-domain';
import { publicKeyOf } from './checks/dkim';
import { DkimKeyRow, insertDkimKey, otherSelector } from './dkim-keys';

const DAY = 24 * 3600 * 1000;
const scheduler: Actor = { type: 'system', label: 'dkim-rotation' };

interface DomainRef {
  id: string;
  name: string;
  collective_id: string;
}

const liveKeys = (ctx: AppContext, domainId: string): Promise<DkimKeyRow[]> =>
  ctx.db('dkim_keys').where({ domain_id: domainId }).whereNot({ state: 'retired' }).orderBy('created_at');

/**
 * Starts a rotation: a new key, `pending`, behind the selector not in use. In delegated mode the
 * platform zone publishes it at once; in TXT mode the owner must publish it (the record plan and
 * the DKIM check say what). It becomes active once visible through the owner's DNS.
 */
export async function rotateDkimKey(ctx: AppContext, actor: Actor, domain: DomainRef): Promise<DkimKeyRow[]> {
  const keys = await liveKeys(ctx, domain.id);
  const active = keys.filter((k) => k.state === 'active');
  if (active.length === 0) {
    throw errors.conflict('dkim_no_active_key', {
      fr: 'Ce domaine n’a pas encore de clé DKIM active.',
      en: 'This domain has no active DKIM key yet.',
    });
  }
  await ctx.db.transaction(async (trx) => {
    for (const key of active) {
      const selector = otherSelector(key.algorithm, key.selector);
      const blocking = keys.find(
        (k) => k.algorithm === key.algorithm && (k.state === 'pending' || k.selector === selector),
      );
      if (blocking) {
        throw errors.conflict('dkim_rotation_in_progress', {
          fr:
            blocking.state === 'pending'
              ? 'Un renouvellement de clé est déjà en cours.'
              : 'La clé précédente est encore publiée pour le courrier en transit ; réessayez à la fin de sa période de retrait.',
          en:
            blocking.state === 'pending'
              ? 'A key renewal is already in progress.'
              : 'The previous key is still published for mail in transit; try again after its retirement period.',
        });
      }
      const created = await insertDkimKey(trx, ctx, {
        domainId: domain.id,
        algorithm: key.algorithm,
        selector,
        mode: key.mode,
        state: 'pending',
      });
      await recordAudit(trx, actor, {
        action: 'dkim.rotate',
        targetType: 'dkim_key',
        targetId: created?.id,
        collectiveId: domain.collective_id,
        details: { domain: domain.name, selector, algorithm: key.algorithm, mode: key.mode },
      });
    }
  });
  return liveKeys(ctx, domain.id);
}

/**
 * Moves a domain's keys along: a pending key seen through the owner's DNS (as receivers see it,
 * through the recursive resolver) becomes active and the previous one retiring; a retiring key
 * older than the retention period is retired; a delegated active key older than the rotation
 * interval starts a new rotation. Returns what changed.
 */
export async function advanceDkimRotation(ctx: AppContext, domain: DomainRef): Promise<string[]> {
  const settings = ctx.config.dns;
  const now = ctx.now();
  const changes: string[] = [];
  const keys = await liveKeys(ctx, domain.id);

  for (const pending of keys.filter((k) => k.state === 'pending')) {
    const r = await resolverOf(ctx).query(`${pending.selector}._domainkey.${domain.name}`, 'TXT');
    const seen =
      r.status === 'ok' &&
      r.records.some((x) => x.type === 'TXT' && publicKeyOf(x.value.join('')) === pending.public_key);
    if (!seen) continue;
    await ctx.db.transaction(async (trx) => {
      await trx('dkim_keys')
        .where({ domain_id: domain.id, algorithm: pending.algorithm, state: 'active' })
        .update({ state: 'retiring', retiring_at: now, updated_at: now });
      await trx('dkim_keys')
        .where({ id: pending.id, state: 'pending' })
        .update({ state: 'active', activated_at: now, updated_at: now });
      await recordAudit(trx, scheduler, {
        action: 'dkim.activate',
        targetType: 'dkim_key',
        targetId: pending.id,
        collectiveId: domain.collective_id,
        details: { domain: domain.name, selector: pending.selector },
      });
    });
    changes.push(`activated ${pending.selector}`);
  }

  const retention = settings.dkimRetentionDays * DAY;
  for (const k of keys.filter((x) => x.state === 'retiring' && x.retiring_at)) {
    if (now.getTime() - (k.retiring_at as Date).getTime() < retention) continue;
    await ctx.db.transaction(async (trx) => {
      await trx('dkim_keys')
        .where({ id: k.id, state: 'retiring' })
        .update({ state: 'retired', retired_at: now, updated_at: now });
      await recordAudit(trx, scheduler, {
        action: 'dkim.retire',
        targetType: 'dkim_key',
        targetId: k.id,
        collectiveId: domain.collective_id,
        details: { domain: domain.name, selector: k.selector },
      });
    });
    changes.push(`retired ${k.selector}`);
  }

  const current = await liveKeys(ctx, domain.id);
  const due = current.some(
    (k) =>
      k.state === 'active' &&
      k.mode === 'delegated' &&
      now.getTime() - (k.activated_at ?? k.created_at).getTime() >= settings.dkimRotationDays * DAY,
  );
  const busy = current.some((k) => k.state === 'pending' || k.state === 'retiring');
  if (due && !busy) {
    await rotateDkimKey(ctx, scheduler, domain);
    changes.push('rotation started');
  }
  return changes;
}
