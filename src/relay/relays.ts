import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor';
import { diffFields, recordAudit } from '../audit/record-audit';
import type { Db } from '../db/knex';
import { registerConstraint } from '../db/pg-errors';
import { envelopeContext, unwrapSecret, wrapSecret } from '../encryption/envelope';
import type { Keyring } from '../encryption/master-key';
import { errors } from '../errors';
import type { CreateRelayInput, UpdateRelayInput } from './relay-input';

export type RelayKind = 'smarthost' | 'direct';
export type TlsMode = 'implicit' | 'starttls' | 'none';
export type RelayRole = 'primary' | 'fallback';
export type RelayState = 'active' | 'draining' | 'disabled';
export type HealthStatus = 'up' | 'down' | 'unknown';

export interface DnsblListing {
  ip: string;
  zone: string;
  /** The A record the zone answered (127.0.0.x return codes say why). */
  answer: string;
}

export interface RelayRow {
  id: string;
  name: string;
  kind: RelayKind;
  host: string | null;
  port: number | null;
  tls_mode: TlsMode;
  username: string | null;
  /** Master-key envelope; never leaves the service layer. */
  password: string | null;
  priority: number;
  role: RelayRole;
  state: RelayState;
  health_status: HealthStatus;
  health_checked_at: Date | null;
  health_latency_ms: number | null;
  health_error: string | null;
  dnsbl_listings: DnsblListing[];
  sending_ips: string[];
  created_at: Date;
  updated_at: Date;
}

registerConstraint('relays_name_unique', 'relay_exists', {
  fr: 'Un relais porte déjà ce nom.',
  en: 'A relay with this name already exists.',
});

const TARGET = 'relay';

function passwordContext(id: string): string {
  return envelopeContext('relays', 'password', id);
}

/** Routing order first (role, then priority), so lists read the way mail flows. */
export async function listRelays(db: Db): Promise<RelayRow[]> {
  return db('relays').orderByRaw(`role = 'fallback', priority, name`);
}

export async function findRelay(db: Db, name: string): Promise<RelayRow> {
  const row = await db('relays').where({ name }).first();
  if (!row) throw errors.notFound({ relay: name });
  return row as RelayRow;
}

export async function createRelay(
  db: Knex,
  keyring: Keyring,
  actor: Actor,
  input: CreateRelayInput,
): Promise<RelayRow> {
  return db.transaction(async (trx) => {
    const id = crypto.randomUUID();
    const smarthost = input.kind === 'smarthost' ? input : undefined;
    const [row] = await trx('relays')
      .insert({
        id,
        name: input.name,
        kind: input.kind,
        host: smarthost?.host ?? null,
        port: smarthost?.port ?? null,
        tls_mode: smarthost?.tlsMode ?? 'none',
        username: smarthost?.username ?? null,
        password: smarthost?.password ? wrapSecret(keyring, smarthost.password, passwordContext(id)) : null,
        priority: input.priority,
        role: input.role,
        sending_ips: input.sendingIps,
      })
      .returning('*');
    await recordAudit(trx, actor, {
      action: 'relay.create',
      targetType: TARGET,
      targetId: id,
      details: {
        name: row.name,
        kind: row.kind,
        host: row.host,
        port: row.port,
        tlsMode: row.tls_mode,
        username: row.username,
        role: row.role,
        priority: row.priority,
      },
    });
    return row as RelayRow;
  });
}

export async function updateRelay(
  db: Knex,
  actor: Actor,
  name: string,
  patch: UpdateRelayInput,
  action = 'relay.update',
): Promise<RelayRow> {
  return db.transaction(async (trx) => {
    const before = await trx('relays').where({ name }).forUpdate().first();
    if (!before) throw errors.notFound({ relay: name });
    const changes: Record<string, unknown> = {};
    if (patch.priority !== undefined) changes.priority = patch.priority;
    if (patch.role !== undefined) changes.role = patch.role;
    if (patch.state !== undefined) changes.state = patch.state;
    if (patch.sendingIps !== undefined) changes.sending_ips = patch.sendingIps;
    const [after] = await trx('relays')
      .where({ id: before.id })
      .update({ ...changes, updated_at: trx.fn.now() })
      .returning('*');
    await recordAudit(trx, actor, {
      action,
      targetType: TARGET,
      targetId: before.id,
      details: { name, ...diffFields(before, after, ['password', 'updated_at']) },
    });
    return after as RelayRow;
  });
}

/** A fallback becomes a primary, ahead of every current primary. */
export async function promoteRelay(db: Knex, actor: Actor, name: string): Promise<RelayRow> {
  const relay = await findRelay(db, name);
  if (relay.role === 'primary') {
    throw errors.conflict('relay_already_primary', {
      fr: 'Ce relais est déjà principal.',
      en: 'This relay is already a primary.',
    });
  }
  const first = await db('relays').where({ role: 'primary' }).min({ p: 'priority' }).first();
  const priority = Math.max(0, Math.min(relay.priority, (first?.p ?? relay.priority + 1) - 1));
  return updateRelay(db, actor, name, { role: 'primary', priority }, 'relay.promote');
}

/** No new traffic; messages already handed over finish normally. */
export async function drainRelay(db: Knex, actor: Actor, name: string): Promise<RelayRow> {
  return updateRelay(db, actor, name, { state: 'draining' }, 'relay.drain');
}

export async function rotateRelayCredentials(
  db: Knex,
  keyring: Keyring,
  actor: Actor,
  name: string,
  credentials: { username: string; password: string },
): Promise<RelayRow> {
  return db.transaction(async (trx) => {
    const before = await trx('relays').where({ name }).forUpdate().first();
    if (!before) throw errors.notFound({ relay: name });
    if (before.kind !== 'smarthost') {
      throw errors.badRequest('relay_no_credentials', {
        fr: 'Un relais direct n’a pas d’identifiants.',
        en: 'A direct relay has no credentials.',
      });
    }
    const [after] = await trx('relays')
      .where({ id: before.id })
      .update({
        username: credentials.username,
        password: wrapSecret(keyring, credentials.password, passwordContext(before.id)),
        updated_at: trx.fn.now(),
      })
      .returning('*');
    await recordAudit(trx, actor, {
      action: 'relay.rotate_credentials',
      targetType: TARGET,
      targetId: before.id,
      details: { name, username: { before: before.username, after: credentials.username } },
    });
    return after as RelayRow;
  });
}

export async function removeRelay(db: Knex, actor: Actor, name: string): Promise<void> {
  await db.transaction(async (trx) => {
    const [row] = await trx('relays').where({ name }).delete().returning(['id', 'name', 'kind', 'host']);
    if (!row) throw errors.notFound({ relay: name });
    await recordAudit(trx, actor, {
      action: 'relay.delete',
      targetType: TARGET,
      targetId: row.id,
      details: { name: row.name, kind: row.kind, host: row.host },
    });
  });
}

/** The relay's password in clear, for the transport only. */
export function relayPassword(keyring: Keyring, relay: RelayRow): string | undefined {
  if (!relay.password) return undefined;
  return unwrapSecret(keyring, relay.password, passwordContext(relay.id)).toString('utf8');
}
