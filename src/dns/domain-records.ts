import type { ServiceContext } from '../context';
import type { DomainRow } from '../domains/find-domain';
import { listLiveDkimKeys } from './dkim-keys';
import { PlannedRecord, recordPlan } from './record-plan';

/** The records a domain's owner must publish, with its DKIM keys as they are (a read). */
export async function domainRecords(
  ctx: ServiceContext,
  domain: Pick<DomainRow, 'id' | 'name' | 'verification_token'>,
): Promise<PlannedRecord[]> {
  return recordPlan(ctx.config.dns, domain, await listLiveDkimKeys(ctx, domain.id));
}
