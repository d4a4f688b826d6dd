import type { ServiceContext } from '../context';

/**
 * What the platform monitors read across modules' tables (reads only; each table keeps its one
 * writer).
 */

/** Active domains whose DNS set-up worked once and is broken now (their admins were told). */
export async function brokenDomains(ctx: ServiceContext): Promise<string[]> {
  return ctx
    .db('domains as d')
    .join('domain_dns_state as s', 's.domain_id', 'd.id')
    .where({ 'd.status': 'active', 's.definite_status': 'error' })
    .andWhere((q) => q.where('s.notice_due', true).orWhereNotNull('s.notified_at'))
    .orderBy('d.name')
    .pluck('d.name');
}

/**
 * New DKIM keys of active domains that have waited longer than `since` for their DNS record while
 * the previous key still signs: a rotation that does not move.
 */
export async function stuckDkimRotations(
  ctx: ServiceContext,
  since: Date,
): Promise<Array<{ domain: string; selector: string; created_at: Date }>> {
  return ctx
    .db('dkim_keys as k')
    .join('domains as d', 'd.id', 'k.domain_id')
    .where({ 'k.state': 'pending', 'd.status': 'active' })
    .andWhere('k.created_at', '<', since)
    .whereExists((q) =>
      q
        .select(ctx.db.raw('1'))
        .from('dkim_keys as a')
        .whereRaw('a.domain_id = k.domain_id')
        .andWhere('a.state', 'active'),
    )
    .orderBy('d.name')
    .select('d.name as domain', 'k.selector', 'k.created_at');
}
