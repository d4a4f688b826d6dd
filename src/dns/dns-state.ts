import type { ServiceContext } from '../context';
import type { CheckStatus } from './checks/common';

/**
 * What the scheduled re-checks remember per domain (`domain_dns_state`, written only here):
 * the last definite status and whether its admins still have to be told it broke.
 */
export interface DnsState {
  definite_status: Exclude<CheckStatus, 'unknown'>;
  notice_due: boolean;
}

export async function getDnsState(ctx: ServiceContext, domainId: string): Promise<DnsState | undefined> {
  return ctx.db('domain_dns_state').where({ domain_id: domainId }).first();
}

export async function saveDnsState(ctx: ServiceContext, domainId: string, state: DnsState): Promise<void> {
  await ctx
    .db('domain_dns_state')
    .insert({ domain_id: domainId, ...state, updated_at: ctx.now() })
    .onConflict('domain_id')
    .merge();
}

export async function markNoticeSent(ctx: ServiceContext, domainId: string): Promise<void> {
  await ctx
    .db('domain_dns_state')
    .where({ domain_id: domainId })
    .update({ notice_due: false, notified_at: ctx.now() });
}
