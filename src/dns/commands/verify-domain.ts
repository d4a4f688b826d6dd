import { authorize } from '../../auth/authorize';
import type { CommandContext } from '../../context';
import { activateDomain } from '../../domains/commands/activate-domain';
import type { DomainRow } from '../../domains/find-domain';
import type { CheckResult } from '../checks/common';

export interface VerifyOutcome {
  name: string;
  status: DomainRow['status'];
  verified: boolean;
  check: CheckResult;
}

/**
 * Given the ownership proof just looked up (checkOwnershipProof, before the transaction: DNS is
 * slow), makes the claim the active domain when the proof is there. The first to prove wins.
 */
export async function verifyDomain(
  ctx: CommandContext,
  domain: DomainRow,
  check: CheckResult,
): Promise<VerifyOutcome> {
  authorize(ctx.actor, 'update', { type: 'domain', collectiveId: domain.collective_id });
  if (domain.status !== 'pending') return { name: domain.name, status: domain.status, verified: true, check };
  if (check.status !== 'ok') return { name: domain.name, status: 'pending', verified: false, check };
  await activateDomain(ctx, domain, 'dns-proof');
  return { name: domain.name, status: 'active', verified: true, check };
}
