import type { ServiceContext } from '../context';
import type { Actor } from './actor';
import { hashToken, newSecretToken } from './tokens';

export const API_TOKEN_PREFIX = 'gft_';

export interface ApiTokenRow {
  id: string;
  collective_id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = ['id', 'collective_id', 'name', 'created_at', 'last_used_at', 'revoked_at'];

/** What the API shows of a token: never the secret, not even hashed. */
export function presentApiToken(t: ApiTokenRow) {
  return {
    id: t.id,
    name: t.name,
    createdAt: t.created_at,
    lastUsedAt: t.last_used_at,
    revokedAt: t.revoked_at,
  };
}

export async function resolveApiToken(ctx: ServiceContext, token: string): Promise<Actor | undefined> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return undefined;
  const now = ctx.now();
  const row = await ctx
    .db('api_tokens as t')
    .join('collectives as c', 'c.id', 't.collective_id')
    .where('t.token_hash', hashToken(token))
    .whereNull('t.revoked_at')
    // A suspended collective's tokens stop working, and work again once it is lifted.
    .whereNull('c.suspended_at')
    .first('t.id', 't.name', 't.collective_id', 't.last_used_at');
  if (!row) return undefined;
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > 60_000) {
    await ctx.db('api_tokens').where({ id: row.id }).update({ last_used_at: now });
  }
  return { type: 'token', id: row.id, name: row.name, collectiveId: row.collective_id };
}

/** Creates a token; the clear token is returned once and never stored. */
export async function insertApiToken(
  ctx: ServiceContext,
  input: { collectiveId: string; name: string; createdBy: string | null },
): Promise<{ row: ApiTokenRow; token: string }> {
  const { token, hash } = newSecretToken(API_TOKEN_PREFIX);
  const [row] = await ctx
    .db('api_tokens')
    .insert({
      collective_id: input.collectiveId,
      name: input.name,
      token_hash: hash,
      created_by: input.createdBy,
    })
    .returning(COLUMNS);
  return { row, token };
}

export async function listApiTokens(ctx: ServiceContext, collectiveId: string): Promise<ApiTokenRow[]> {
  return ctx.db('api_tokens').where({ collective_id: collectiveId }).orderBy('created_at').select(COLUMNS);
}

/** Revokes a live token of the collective; undefined when there is none by that id. */
export async function markApiTokenRevoked(
  ctx: ServiceContext,
  collectiveId: string,
  id: string,
): Promise<ApiTokenRow | undefined> {
  const [row] = await ctx
    .db('api_tokens')
    .where({ id, collective_id: collectiveId })
    .whereNull('revoked_at')
    .update({ revoked_at: ctx.now() })
    .returning(COLUMNS);
  return row;
}
