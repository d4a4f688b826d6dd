import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import type { DomainRow } from '../../domains/find-domain';
import { DkimKeyRow, DkimMode, ensureDomainDkimKey, listLiveDkimKeys, setDkimKeysMode } from '../dkim-keys';

/**
 * Switches how a domain publishes its DKIM keys: `delegated` (CNAMEs to the platform zone,
 * rotated without the owner) or `txt` (the owner publishes each key). The keys stay the same;
 * only where they are published changes, so the record plan changes with it.
 */
export async function setDkimMode(
  ctx: CommandContext,
  domain: Pick<DomainRow, 'id' | 'name' | 'collective_id'>,
  mode: DkimMode,
): Promise<DkimKeyRow[]> {
  authorize(ctx.actor, 'update', { type: 'domain', collectiveId: domain.collective_id });
  await ensureDomainDkimKey(ctx, domain.id);
  if ((await setDkimKeysMode(ctx, domain.id, mode)) > 0) {
    await recordAudit(ctx, {
      action: 'dkim.mode',
      targetType: 'domain',
      targetId: domain.id,
      collectiveId: domain.collective_id,
      details: { name: domain.name, mode: { before: mode === 'txt' ? 'delegated' : 'txt', after: mode } },
    });
  }
  return listLiveDkimKeys(ctx, domain.id);
}
