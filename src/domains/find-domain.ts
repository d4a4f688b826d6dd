import { isRacine } from '../auth/actor';
import { allowed, authorize, Action } from '../auth/authorize';
import type { CommandContext, ServiceContext } from '../context';
import { errors } from '../errors';
import type { DomainName } from '../names/domain-name';

export interface DomainRow {
  id: string;
  name: string;
  collective_id: string;
  status: 'pending' | 'active' | 'suspended';
  verification_token: string;
  verified_at: Date | null;
  last_check: unknown;
  last_checked_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * The domain called `name` as this actor sees it, authorized for `action`. Several collectives
 * may hold pending claims on one name: an actor sees its own collective's claim; a racine sees
 * the held (non-pending) one first, else the oldest claim. Anything else is 404.
 */
export async function findDomainForActor(
  ctx: CommandContext,
  name: DomainName,
  action: Action,
): Promise<DomainRow> {
  const { actor } = ctx;
  const rows: DomainRow[] = await ctx
    .db('domains')
    .where({ name })
    .orderByRaw(`status = 'pending', created_at`);
  const visible = isRacine(actor)
    ? rows[0]
    : rows.find((d) => allowed(actor, 'read', { type: 'domain', collectiveId: d.collective_id }));
  if (!visible) throw errors.notFound();
  authorize(actor, action, { type: 'domain', collectiveId: visible.collective_id });
  return visible;
}

/** Whether `name` is an active domain of the platform (public endpoints: MTA-STS, WKD). */
export async function isActiveDomain(ctx: ServiceContext, name: string): Promise<boolean> {
  return Boolean(await ctx.db('domains').where({ name, status: 'active' }).first('id'));
}
