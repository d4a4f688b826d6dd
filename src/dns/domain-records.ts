import type { AppContext } from '../context';
import type { DomainRow } from '../domains/find-domain';
import { ensureDomainDkimKey } from './dkim-keys';
import { PlannedRecord, recordPlan } from './record-plan';

/** The records a domain's owner must publish, with its DKIM keys (created on first need). */
export async function domainRecords(
  ctx: AppContext,
  domain: Pick<DomainRow, 'id' | 'name' | 'verification_token'>,
): Promise<PlannedRecord[]> {
  const keys = await ensureDomainDkimKey(ctx.db, ctx, domain.id);
  return recordPlan(ctx.config.dns, domain, keys);
}
