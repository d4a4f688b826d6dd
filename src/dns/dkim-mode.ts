import type { Actor } from '../auth/actor';
import { recordAudit } from '../audit/record-audit';
import type { AppContext } from '../context';
import type { DomainRow } from '../domains/find-domain';
import { DkimKeyRow, DkimMode, ensureDomainDkimKey } from './dkim-keys';

/**
 * Switches how a domain publishes its DKIM keys: `delegated` (CNAMEs to the platform zone,
 * rotated without the owner) or `txt` (the owner publishes each key). The keys stay the same;
 * only where they are published changes, so the record plan changes with it.
 */
export async function setDkimMode(
  ctx: AppContext,
  actor: Actor,
  domain: Pick<DomainRow, 'id' | 'name' | 'collective_id'>,
  mode: DkimMode,
): Promise<DkimKeyRow[]> {
  await ensureDomainDkimKey(ctx.db, ctx, domain.id);
  await ctx.db.transaction(async (trx) => {
    const changed = await trx('dkim_keys')
      .where({ domain_id: domain.id })
      .whereNot({ state: 'retired' })
      .whereNot({ mode })
      .update({ mode, updated_at: ctx.now() });
    if (changed === 0) return;
    await recordAudit(trx, actor, {
      action: 'dkim.mode',
      targetType: 'domain',
      targetId: domain.id,
      collectiveId: domain.collective_id,
      details: { name: domain.name, mode: { before: mode === 'txt' ? 'delegated' : 'txt', after: mode } },
    });
  });
  return ctx
    .db('dkim_keys')
    .where({ domain_id: domain.id })
    .whereNot({ state: 'retired' })
    .orderBy('created_at');
}
