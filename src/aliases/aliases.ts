import { allowed, authorize, Action } from '../auth/authorize';
import type { CommandContext, ServiceContext } from '../context';
import { errors } from '../errors';

/** Aliases: the one module that writes the `aliases` table. */
export interface AliasRow {
  id: string;
  domain_id: string;
  local_part: string;
  source: string;
  destinations: string[];
  system: boolean;
  created_at: Date;
  updated_at: Date;
}

export type LoadedAlias = AliasRow & { collective_id: string; domain_name: string };

export function presentAlias(a: AliasRow) {
  return {
    id: a.id,
    source: a.source,
    localPart: a.local_part,
    catchAll: a.local_part === '*',
    destinations: a.destinations,
    system: a.system,
    createdAt: a.created_at,
    updatedAt: a.updated_at,
  };
}

export const aliasAddress = (localPart: string, domain: string) =>
  localPart === '*' ? `@${domain}` : `${localPart}@${domain}`;

/** RFC 2142: every domain that receives mail must take postmaster@ and abuse@. */
export const ROLE_LOCAL_PARTS = ['postmaster', 'abuse'] as const;

/**
 * Refuses a self-reference, and a loop: following internal aliases from the new
 * destinations must never lead back to the alias itself.
 */
export async function assertNoLoop(
  ctx: ServiceContext,
  source: string,
  destinations: string[],
): Promise<void> {
  if (destinations.includes(source)) {
    throw errors.badRequest('alias_self_reference', {
      fr: 'Un alias ne peut pas se rediriger vers lui-même.',
      en: 'An alias cannot forward to itself.',
    });
  }
  const { rows } = await ctx.db.raw(
    `WITH RECURSIVE reach(address, depth) AS (
       SELECT unnest(?::text[]), 0
       UNION
       SELECT unnest(a.destinations), r.depth + 1
         FROM reach r JOIN aliases a ON a.source = r.address
        WHERE r.depth < 20
     )
     SELECT 1 FROM reach WHERE address = ? LIMIT 1`,
    [destinations, source],
  );
  if (rows.length) {
    throw errors.badRequest('alias_loop', {
      fr: 'Ces destinations ramènent à cet alias : le courrier tournerait en boucle.',
      en: 'These destinations lead back to this alias: mail would loop.',
    });
  }
}

/**
 * Refuses destinations in a domain hosted here (by any collective) that are neither a mailbox nor
 * an alias: mail to them would bounce, or fall to that domain's catch-all, and two collectives'
 * catch-alls pointing at each other's unknown addresses would loop.
 */
export async function assertDestinationsExist(ctx: ServiceContext, destinations: string[]): Promise<void> {
  const { rows } = await ctx.db.raw(
    `SELECT dest FROM unnest(?::text[]) AS dest
      WHERE EXISTS (SELECT 1 FROM domains d WHERE d.name = split_part(dest, '@', 2))
        AND NOT EXISTS (SELECT 1 FROM mailboxes m WHERE m.address = dest)
        AND NOT EXISTS (SELECT 1 FROM aliases a WHERE a.source = dest)`,
    [destinations],
  );
  if (rows.length) {
    throw errors.badRequest(
      'alias_destination_unknown',
      {
        fr: 'Ces destinations sont dans un domaine hébergé ici mais ne sont ni une boîte ni un alias.',
        en: 'These destinations are in a domain hosted here but are neither a mailbox nor an alias.',
      },
      { addresses: rows.map((r: { dest: string }) => r.dest) },
    );
  }
}

export async function listAliases(ctx: ServiceContext, domainId: string): Promise<AliasRow[]> {
  return ctx.db('aliases').where({ domain_id: domainId }).orderByRaw(`local_part = '*' DESC, local_part`);
}

export async function findAliasForActor(
  ctx: CommandContext,
  id: string,
  action: Action,
): Promise<LoadedAlias> {
  const row = await ctx
    .db('aliases as a')
    .join('domains as d', 'd.id', 'a.domain_id')
    .where('a.id', id)
    .first('a.*', 'd.collective_id', 'd.name as domain_name');
  if (!row || !allowed(ctx.actor, 'read', { type: 'alias', collectiveId: row.collective_id }))
    throw errors.notFound();
  authorize(ctx.actor, action, { type: 'alias', collectiveId: row.collective_id });
  return row;
}

/** Whether a user-made alias (not an automatic role alias) has this local part. */
export async function userAliasExists(
  ctx: ServiceContext,
  domainId: string,
  localPart: string,
): Promise<boolean> {
  return Boolean(
    await ctx.db('aliases').where({ domain_id: domainId, local_part: localPart, system: false }).first('id'),
  );
}

export async function insertAlias(
  ctx: ServiceContext,
  input: { domainId: string; localPart: string; destinations: string[] },
): Promise<AliasRow> {
  const [row] = await ctx
    .db('aliases')
    .insert({ domain_id: input.domainId, local_part: input.localPart, destinations: input.destinations })
    .returning('*');
  return row;
}

/** The role addresses of a new domain (postmaster@, abuse@), made by the platform. */
export async function insertRoleAliases(ctx: ServiceContext, domainId: string, destinations: string[]) {
  await ctx
    .db('aliases')
    .insert(
      ROLE_LOCAL_PARTS.map((local_part) => ({ domain_id: domainId, local_part, destinations, system: true })),
    );
}

/** A mailbox takes a role address: the automatic alias of that name gives way. */
export async function deleteRoleAlias(
  ctx: ServiceContext,
  domainId: string,
  localPart: string,
): Promise<void> {
  await ctx.db('aliases').where({ domain_id: domainId, local_part: localPart, system: true }).delete();
}

/** New destinations; an automatic alias edited by people is theirs from then on. */
export async function setAliasDestinations(
  ctx: ServiceContext,
  id: string,
  destinations: string[],
): Promise<AliasRow> {
  const [row] = await ctx
    .db('aliases')
    .where({ id })
    .update({ destinations, system: false, updated_at: ctx.now() })
    .returning('*');
  return row;
}

export async function deleteAliasRow(ctx: ServiceContext, id: string): Promise<void> {
  await ctx.db('aliases').where({ id }).delete();
}
