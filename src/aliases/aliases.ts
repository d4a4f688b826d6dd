import type { Actor } from '../auth/actor';
import { allowed, authorize, Action } from '../auth/authorize';
import { recordAudit } from '../audit/record-audit';
import type { Db } from '../db/knex';
import type { DomainRow } from '../domains/find-domain';
import { ROLE_ADDRESSES } from '../domains/domains';
import { errors } from '../errors';

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

const aliasAddress = (localPart: string, domain: string) =>
  localPart === '*' ? `@${domain}` : `${localPart}@${domain}`;

/**
 * Refuses a self-reference, and a loop: following internal aliases from the new
 * destinations must never lead back to the alias itself.
 */
async function assertNoLoop(db: Db, source: string, destinations: string[]): Promise<void> {
  if (destinations.includes(source)) {
    throw errors.badRequest('alias_self_reference', {
      fr: 'Un alias ne peut pas se rediriger vers lui-même.',
      en: 'An alias cannot forward to itself.',
    });
  }
  const { rows } = await db.raw(
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

export async function createAlias(
  db: Db,
  actor: Actor,
  domain: DomainRow,
  input: { localPart: string; destinations: string[] },
): Promise<AliasRow> {
  await db.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`domain:${domain.name}`]);
  const source = aliasAddress(input.localPart, domain.name);
  if (input.localPart !== '*') {
    const mailbox = await db('mailboxes')
      .where({ domain_id: domain.id, local_part: input.localPart })
      .first('id');
    if (mailbox) {
      throw errors.conflict('address_taken', {
        fr: 'Une boîte aux lettres porte déjà cette adresse.',
        en: 'A mailbox already has this address.',
      });
    }
  }
  await assertNoLoop(db, source, input.destinations);
  const [row] = await db('aliases')
    .insert({ domain_id: domain.id, local_part: input.localPart, destinations: input.destinations })
    .returning('*');
  await recordAudit(db, actor, {
    action: 'alias.create',
    targetType: 'alias',
    targetId: row.id,
    collectiveId: domain.collective_id,
    details: { source: row.source, destinations: row.destinations },
  });
  return row;
}

export async function listAliases(db: Db, domainId: string): Promise<AliasRow[]> {
  return db('aliases').where({ domain_id: domainId }).orderByRaw(`local_part = '*' DESC, local_part`);
}

export async function findAliasForActor(
  db: Db,
  actor: Actor,
  id: string,
  action: Action,
): Promise<AliasRow & { collective_id: string; domain_name: string }> {
  const row = await db('aliases as a')
    .join('domains as d', 'd.id', 'a.domain_id')
    .where('a.id', id)
    .first('a.*', 'd.collective_id', 'd.name as domain_name');
  if (!row || !allowed(actor, 'read', { type: 'alias', collectiveId: row.collective_id }))
    throw errors.notFound();
  authorize(actor, action, { type: 'alias', collectiveId: row.collective_id });
  return row;
}

export async function updateAlias(
  db: Db,
  actor: Actor,
  alias: AliasRow & { collective_id: string },
  input: { destinations: string[] },
): Promise<AliasRow> {
  await assertNoLoop(db, alias.source, input.destinations);
  const [row] = await db('aliases')
    .where({ id: alias.id })
    .update({ destinations: input.destinations, system: false, updated_at: db.fn.now() })
    .returning('*');
  await recordAudit(db, actor, {
    action: 'alias.update',
    targetType: 'alias',
    targetId: alias.id,
    collectiveId: alias.collective_id,
    details: { source: alias.source, destinations: { before: alias.destinations, after: row.destinations } },
  });
  return row;
}

export async function deleteAlias(
  db: Db,
  actor: Actor,
  alias: AliasRow & { collective_id: string },
): Promise<void> {
  if ((ROLE_ADDRESSES as readonly string[]).includes(alias.local_part)) {
    throw errors.conflict('role_address_required', {
      fr: `${alias.source} doit toujours être livrée (RFC 2142) : changez ses destinations, ou créez une boîte à ce nom.`,
      en: `${alias.source} must always be delivered (RFC 2142): change its destinations, or create a mailbox with that name.`,
    });
  }
  await db('aliases').where({ id: alias.id }).delete();
  await recordAudit(db, actor, {
    action: 'alias.delete',
    targetType: 'alias',
    targetId: alias.id,
    collectiveId: alias.collective_id,
    details: { source: alias.source, destinations: alias.destinations },
  });
}
