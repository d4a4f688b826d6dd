import type { Db } from '../db/knex';
import type { Actor } from './actor';
import { hashToken, newSecretToken } from './tokens';

export const API_TOKEN_PREFIX = 'gft_';

export async function resolveApiToken(db: Db, token: string, now: Date): Promise<Actor | undefined> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return undefined;
  const row = await db('api_tokens')
    .where({ token_hash: hashToken(token) })
    .whereNull('revoked_at')
    .first('id', 'name', 'collective_id', 'last_used_at');
  if (!row) return undefined;
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > 60_000) {
    await db('api_tokens').where({ id: row.id }).update({ last_used_at: now });
  }
  return { type: 'token', id: row.id, name: row.name, collectiveId: row.collective_id };
}

export interface ApiTokenRow {
  id: string;
  collective_id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** Creates a token; the clear token is returned once and never stored. */
export async function createApiToken(
  db: Db,
  input: { collectiveId: string; name: string; createdBy: string | null },
): Promise<{ row: ApiTokenRow; token: string }> {
  const { token, hash } = newSecretToken(API_TOKEN_PREFIX);
  const [row] = await db('api_tokens')
    .insert({
      collective_id: input.collectiveId,
      name: input.name,
      token_hash: hash,
      created_by: input.createdBy,
    })
    .returning(['id', 'collective_id', 'name', 'created_at', 'last_used_at', 'revoked_at']);
  return { row, token };
}

export async function listApiTokens(db: Db, collectiveId: string): Promise<ApiTokenRow[]> {
  return db('api_tokens')
    .where({ collective_id: collectiveId })
    .orderBy('created_at')
    .select('id', 'collective_id', 'name', 'created_at', 'last_used_at', 'revoked_at');
}

export async function revokeApiToken(
  db: Db,
  collectiveId: string,
  id: string,
  now: Date,
): Promise<ApiTokenRow | undefined> {
  const [row] = await db('api_tokens')
    .where({ id, collective_id: collectiveId })
    .whereNull('revoked_at')
    .update({ revoked_at: now })
    .returning(['id', 'collective_id', 'name', 'created_at', 'last_used_at', 'revoked_at']);
  return row;
}
