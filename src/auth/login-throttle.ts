import type { ServiceContext } from '../context';
import { errors } from '../errors';
import { hashToken } from './tokens';

/**
 * OWASP's guidance on authentication: slow guessing down rather than lock accounts, since a
 * lockout lets anyone keep a user out. Three levels:
 *
 * - per login and client: after 3 failures the pair must wait, doubling per failure up to 15
 *   minutes (429 with Retry-After). Only that client is kept out, never the login's owner
 *   elsewhere;
 * - per client, whatever the login: the same after 20 failures (many members of one
 *   association may share an address), against one client spraying many logins;
 * - per login, from every client together: after 10 failures each further password check of
 *   that login is delayed (1, 2, 4, 8, then 10 seconds), never refused, so guessing from many
 *   addresses stays slow and the owner still gets in.
 *
 * Every attempt is counted as a failure before its password is checked, and forgiven when it
 * succeeds: checking first and counting after let 25 parallel guesses through instead of 3.
 * Counts fade after an hour without failures. The two per-client levels live in this process's
 * memory (client addresses are never written anywhere); the per-login count lives in
 * PostgreSQL, shared by every copy of giroflee. Unknown logins are counted exactly like known
 * ones, so the answer reveals nothing.
 */
const FREE_PER_PAIR = 3;
const FREE_PER_CLIENT = 20;
const FREE_PER_LOGIN = 10;
const MAX_BLOCK_SECONDS = 15 * 60;
const MAX_LOGIN_DELAY_MS = 10_000;
const FORGET_AFTER_MS = 3600_000;

/** Seconds a pair or client waits after its `failures`-th failure: 0, then 1, 2, 4… up to 15 min. */
export function delaySeconds(failures: number, free: number): number {
  if (failures < free) return 0;
  return Math.min(2 ** (failures - free), MAX_BLOCK_SECONDS);
}

/** How long the `failures`-th attempt on one login (from anywhere) is held before its check. */
export function loginDelayMs(failures: number): number {
  if (failures <= FREE_PER_LOGIN) return 0;
  return Math.min(1000 * 2 ** (failures - FREE_PER_LOGIN - 1), MAX_LOGIN_DELAY_MS);
}

interface Count {
  failures: number;
  blockedUntil: number;
  at: number;
}

export class LoginThrottle {
  private readonly pairs = new Map<string, Count>();
  private readonly clients = new Map<string, Count>();

  /** `wait` holds an attempt on a login guessed at from everywhere (injected by tests). */
  constructor(
    private readonly wait: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  private loginKey(login: string): string {
    return hashToken(`login:${login.trim().toLowerCase()}`);
  }

  private pairKey(login: string, client: string): string {
    return hashToken(`pair:${login.trim().toLowerCase()}\n${client}`);
  }

  /** Counts one more failure in `map`; fades after an hour without one. */
  private bump(map: Map<string, Count>, key: string, free: number, now: number): void {
    const old = map.get(key);
    const failures = old && now - old.at < FORGET_AFTER_MS ? old.failures + 1 : 1;
    map.set(key, { failures, at: now, blockedUntil: now + delaySeconds(failures, free) * 1000 });
  }

  /**
   * Takes one attempt before the password is checked: throws 429 while this client must wait,
   * else counts the attempt as failed (until `succeeded`) and holds it as long as the login's
   * count from everywhere asks.
   */
  async begin(ctx: ServiceContext, login: string, client: string): Promise<void> {
    const now = ctx.now().getTime();
    const pair = this.pairKey(login, client);
    // Synchronous from the check to the count: no other attempt of this process comes between.
    const until = Math.max(
      this.pairs.get(pair)?.blockedUntil ?? 0,
      this.clients.get(client)?.blockedUntil ?? 0,
    );
    if (until > now) throw errors.rateLimited({ retryAfterSeconds: Math.ceil((until - now) / 1000) });
    this.bump(this.pairs, pair, FREE_PER_PAIR, now);
    this.bump(this.clients, client, FREE_PER_CLIENT, now);
    this.forgetOld(now);

    const at = ctx.now();
    const fadedBefore = new Date(at.getTime() - FORGET_AFTER_MS);
    const [row] = await ctx
      .db('login_throttle')
      .insert({ key_hash: this.loginKey(login), failures: 1, updated_at: at })
      .onConflict('key_hash')
      .merge({
        failures: ctx.db.raw(
          'CASE WHEN login_throttle.updated_at < ? THEN 1 ELSE login_throttle.failures + 1 END',
          [fadedBefore],
        ),
        updated_at: at,
      })
      .returning('failures');
    const hold = loginDelayMs(row.failures);
    if (hold) await this.wait(hold);
  }

  /** The attempt was right: its failure is forgiven, and the login and the pair start afresh. */
  async succeeded(ctx: ServiceContext, login: string, client: string): Promise<void> {
    this.pairs.delete(this.pairKey(login, client));
    const c = this.clients.get(client);
    if (c) this.clients.set(client, { ...c, failures: Math.max(0, c.failures - 1) });
    await ctx
      .db('login_throttle')
      .where({ key_hash: this.loginKey(login) })
      .delete();
  }

  private forgetOld(now: number): void {
    for (const map of [this.pairs, this.clients]) {
      if (map.size < 10_000) continue;
      for (const [k, v] of map) if (now - v.at > FORGET_AFTER_MS) map.delete(k);
    }
  }
}

/**
 * Retention: removes up to `limit` failed-login counters untouched since `before` (a count fades
 * after an hour anyway, so nothing is slowed down by them any more). Returns how many.
 */
export async function deleteStaleThrottles(
  ctx: ServiceContext,
  before: Date,
  limit: number,
): Promise<number> {
  const keys = ctx.db('login_throttle').select('key_hash').where('updated_at', '<', before).limit(limit);
  return ctx.db('login_throttle').whereIn('key_hash', keys).delete();
}
