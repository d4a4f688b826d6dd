import type { Me } from '../../shell/session';
import type { Role } from './types';

type Account = Extract<Me, { type: 'account' }>;

export const isAccount = (me: Me): me is Account => me.type === 'account';

export const isRacine = (me: Me): boolean => isAccount(me) && me.racine;

export function roleIn(me: Me, slug: string): Role | undefined {
  return isAccount(me) ? me.memberships.find((m) => m.slug === slug)?.role : undefined;
}

/**
 * Whether the screens offer this collective's admin acts. The API decides in the end; this only
 * keeps a member from being shown buttons that would be refused.
 */
export const canManage = (me: Me, slug: string | undefined): boolean =>
  isRacine(me) || (slug !== undefined && roleIn(me, slug) === 'admin');
