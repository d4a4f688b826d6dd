import type { ServiceContext } from '../context';
import { errors } from '../errors';
import { hashToken } from './tokens';

/**
 * Failures allowed before delays start; then the delay doubles per failure, up to a cap. A
 * client gets more room than a login: many members of one association may share an address.
 */
const FREE_FAILURES_PER_LOGIN = 3;
const FREE_FAILURES_PER_CLIENT = 20;
const MAX_DELAY_SECONDS = 15 * 60;

export function delaySeconds(failures: number, free: number): number {
  if (failures < free) return 0;
  return Math.min(2 ** (failures - free), MAX_DELAY_SECONDS);
}

/**
 * Growing delays after failed logins, per login name (in the database, so every giroflee copy
 * sees them) and per client (in this process's memory only: client addresses are never stored).
 * Unknown logins are throttled exactly like known ones, so the answer reveals nothing.
 */
export class LoginThrottle {
  private readonly clients = new Map<string, { failures: number; blockedUntil: number; at: number }>();

  private key(login: string): string {
    return hashToken(`login:${login.trim().toLowerCase()}`);
  }

  async assertAllowed(ctx: ServiceContext, login: string, client: string): Promise<void> {
    const now = ctx.now();
    const row = await ctx
      .db('login_throttle')
      .where({ key_hash: this.key(login) })
      .first('blocked_until');
    const byLogin = row?.blocked_until ? new Date(row.blocked_until).getTime() : 0;
    const byClient = this.clients.get(client)?.blockedUntil ?? 0;
    const until = Math.max(byLogin, byClient);
    if (until > now.getTime()) {
      throw errors.rateLimited({ retryAfterSeconds: Math.ceil((until - now.getTime()) / 1000) });
    }
  }

  async recordFailure(ctx: ServiceContext, login: string, client: string): Promise<void> {
    const now = ctx.now();
    const [row] = await ctx
      .db('login_throttle')
      .insert({ key_hash: this.key(login), failures: 1, updated_at: now })
      .onConflict('key_hash')
      .merge({ failures: ctx.db.raw('login_throttle.failures + 1'), updated_at: now })
      .returning('failures');
    const loginDelay = delaySeconds(row.failures, FREE_FAILURES_PER_LOGIN);
    if (loginDelay) {
      await ctx
        .db('login_throttle')
        .where({ key_hash: this.key(login) })
        .update({ blocked_until: new Date(now.getTime() + loginDelay * 1000) });
    }
    const c = this.clients.get(client) ?? { failures: 0, blockedUntil: 0, at: 0 };
    c.failures += 1;
    c.at = now.getTime();
    c.blockedUntil = now.getTime() + delaySeconds(c.failures, FREE_FAILURES_PER_CLIENT) * 1000;
    this.clients.set(client, c);
    this.forgetOldClients(now);
  }

  async recordSuccess(ctx: ServiceContext, login: string, client: string): Promise<void> {
    await ctx
      .db('login_throttle')
      .where({ key_hash: this.key(login) })
      .delete();
    this.clients.delete(client);
  }

  private forgetOldClients(now: Date): void {
    if (this.clients.size < 10_000) return;
    for (const [k, v] of this.clients) if (now.getTime() - v.at > 3600_000) this.clients.delete(k);
  }
}
