import crypto from 'node:crypto';
import { authorize } from '../auth/authorize';
import type { CommandContext, ServiceContext } from '../context';
import { registerConstraint } from '../db/pg-errors';
import { envelopeContext, unwrapSecret, wrapSecret } from '../encryption/envelope';
import type { Keyring } from '../encryption/master-key';
import { errors } from '../errors';
import type { CreateRelayInput } from './relay-input';

/** The outbound relay pool: the one module that writes the `relays` table. */

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

function passwordContext(id: string): string {
  return envelopeContext('relays', 'password', id);
}

/** The pool for a racine, in routing order first (role, then priority), as mail flows. */
export async function listRelays(ctx: CommandContext): Promise<RelayRow[]> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  return ctx.db('relays').orderByRaw(`role = 'fallback', priority, name`);
}

/** Relays the probe looks at: every one but the disabled. */
export async function relaysToProbe(ctx: ServiceContext): Promise<RelayRow[]> {
  return ctx.db('relays').whereNot({ state: 'disabled' }).orderBy('name');
}

/** Relays that may take mail (state active), in no particular order. */
export async function activeRelays(ctx: ServiceContext): Promise<RelayRow[]> {
  return ctx.db('relays').where({ state: 'active' });
}

/** The relay called `name`, for a racine (the pool is the platform's). */
export async function findRelayForActor(ctx: CommandContext, name: string): Promise<RelayRow> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const row = await ctx.db('relays').where({ name }).first();
  if (!row) throw errors.notFound({ relay: name });
  return row as RelayRow;
}

/** The relay called `name`, its row locked for the caller's change; 404 when there is none. */
export async function lockRelay(ctx: ServiceContext, name: string): Promise<RelayRow> {
  const row = await ctx.db('relays').where({ name }).forUpdate().first();
  if (!row) throw errors.notFound({ relay: name });
  return row as RelayRow;
}

/** The lowest priority among primaries, if any. */
export async function firstPrimaryPriority(ctx: ServiceContext): Promise<number | undefined> {
  const first = await ctx.db('relays').where({ role: 'primary' }).min({ p: 'priority' }).first();
  return first?.p ?? undefined;
}

export async function insertRelay(ctx: ServiceContext, input: CreateRelayInput): Promise<RelayRow> {
  const id = crypto.randomUUID();
  const smarthost = input.kind === 'smarthost' ? input : undefined;
  const [row] = await ctx
    .db('relays')
    .insert({
      id,
      name: input.name,
      kind: input.kind,
      host: smarthost?.host ?? null,
      port: smarthost?.port ?? null,
      tls_mode: smarthost?.tlsMode ?? 'none',
      username: smarthost?.username ?? null,
      password: smarthost?.password ? wrapSecret(ctx.keyring, smarthost.password, passwordContext(id)) : null,
      priority: input.priority,
      role: input.role,
      sending_ips: input.sendingIps,
    })
    .returning('*');
  return row as RelayRow;
}

/** Routing settings: priority, role, state, sending IPs. */
export async function updateRelayRow(
  ctx: ServiceContext,
  id: string,
  changes: Partial<Pick<RelayRow, 'priority' | 'role' | 'state' | 'sending_ips'>>,
): Promise<RelayRow> {
  const [row] = await ctx
    .db('relays')
    .where({ id })
    .update({ ...changes, updated_at: ctx.now() })
    .returning('*');
  return row as RelayRow;
}

/** New SMTP AUTH credentials, the password wrapped by the master key. */
export async function setRelayCredentials(
  ctx: ServiceContext,
  id: string,
  credentials: { username: string; password: string },
): Promise<RelayRow> {
  const [row] = await ctx
    .db('relays')
    .where({ id })
    .update({
      username: credentials.username,
      password: wrapSecret(ctx.keyring, credentials.password, passwordContext(id)),
      updated_at: ctx.now(),
    })
    .returning('*');
  return row as RelayRow;
}

/** What the last probe found (no updated_at: health is not a change of settings). */
export async function recordRelayHealth(
  ctx: ServiceContext,
  id: string,
  health: { status: HealthStatus; latencyMs: number | null; error: string | null; listings: DnsblListing[] },
): Promise<void> {
  await ctx
    .db('relays')
    .where({ id })
    .update({
      health_status: health.status,
      health_checked_at: ctx.now(),
      health_latency_ms: health.latencyMs,
      health_error: health.error,
      dnsbl_listings: JSON.stringify(health.listings),
    });
}

export async function deleteRelayRow(
  ctx: ServiceContext,
  name: string,
): Promise<Pick<RelayRow, 'id' | 'name' | 'kind' | 'host'> | undefined> {
  const [row] = await ctx.db('relays').where({ name }).delete().returning(['id', 'name', 'kind', 'host']);
  return row;
}

/** The relay's password in clear, for the transport only. */
export function relayPassword(keyring: Keyring, relay: RelayRow): string | undefined {
  if (!relay.password) return undefined;
  return unwrapSecret(keyring, relay.password, passwordContext(relay.id)).toString('utf8');
}
