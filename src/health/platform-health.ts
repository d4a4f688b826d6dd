import type { Knex } from 'knex';
import { register } from 'prom-client';
import { authorize } from '../auth/authorize';
import type { CommandContext } from '../context';
import { masterKeyStatus, MasterKeyStatus } from '../encryption/rotation-progress';
import type { LocalizedText } from '../errors';
import { queueSummary, QueueSummary } from '../mailstack/queue-summary';
import { listRelays } from '../relay/relays';
import { tcpProbe, zoneProbe, ProbeResult } from './probes';
import { readiness } from './readiness';

export type HealthStatus = 'ok' | 'warning' | 'error' | 'unknown';

export interface HealthItem {
  id:
    | 'database'
    | 'inbound-gateway'
    | 'outbound-gateway'
    | 'dovecot'
    | 'postfix'
    | 'dns-zone'
    | 'relays'
    | 'domains';
  status: HealthStatus;
  /** Figures for the screen (never an address, never a secret). */
  facts: Record<string, unknown>;
  message?: LocalizedText;
}

export interface PlatformHealth {
  checkedAt: string;
  status: HealthStatus;
  items: HealthItem[];
  /** This process's outbound counters since it started (Prometheus' `/metrics`). */
  outbound: Record<string, number>;
}

/** Domains by state and, for active ones, by their last check's status (one grouped query). */
async function domainStates(
  ctx: CommandContext,
): Promise<Array<{ status: string; check: string | null; n: number }>> {
  const rows = await ctx
    .db('domains')
    .select('status', ctx.db.raw(`last_check->>'status' AS "check"`))
    .count({ n: '*' })
    .groupBy('status', ctx.db.raw(`last_check->>'status'`));
  return (rows as unknown as Array<{ status: string; check: string | null; n: string }>).map((r) => ({
    status: r.status,
    check: r.check ?? null,
    n: Number(r.n),
  }));
}

/** Where to look: injected so tests point at their own stack. */
export interface HealthTargets {
  postfixConfigDir: string;
  timeoutMs?: number;
}

const ORDER: HealthStatus[] = ['ok', 'warning', 'unknown', 'error'];
const worst = (s: HealthStatus[]) => ORDER[Math.max(0, ...s.map((x) => ORDER.indexOf(x)))];

function listener(
  id: HealthItem['id'],
  probe: ProbeResult,
  endpoint: { host: string; port: number },
): HealthItem {
  return {
    id,
    status: probe.ok ? 'ok' : 'error',
    facts: {
      listen: `${endpoint.host}:${endpoint.port}`,
      latencyMs: probe.latencyMs ?? null,
      error: probe.error ?? null,
    },
    message: probe.ok
      ? undefined
      : {
          fr: `Rien ne répond sur ${endpoint.host}:${endpoint.port} (${probe.error}) : vérifiez que giroflee serve et le service tournent sur ce nœud.`,
          en: `Nothing answers at ${endpoint.host}:${endpoint.port} (${probe.error}): check that giroflee serve and the service run on this node.`,
        },
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function postfixItem(targets: HealthTargets, timeoutMs: number): Promise<HealthItem> {
  let queue: QueueSummary;
  try {
    queue = await withTimeout(queueSummary(targets.postfixConfigDir), timeoutMs * 3);
  } catch (e) {
    return {
      id: 'postfix',
      status: 'unknown',
      facts: { configDir: targets.postfixConfigDir },
      message: {
        fr: `La file de Postfix (${targets.postfixConfigDir}) ne se lit pas d’ici (${(e as Error).message.split('\n')[0]}) : Postfix est-il lancé sur ce nœud ?`,
        en: `Postfix's queue (${targets.postfixConfigDir}) cannot be read from here (${(e as Error).message.split('\n')[0]}): does Postfix run on this node?`,
      },
    };
  }
  const held = queue.byQueue.hold ?? 0;
  const deferred = queue.byQueue.deferred ?? 0;
  return {
    id: 'postfix',
    status: held > 0 || deferred > 0 ? 'warning' : 'ok',
    facts: { ...queue, configDir: targets.postfixConfigDir },
    message:
      held > 0 || deferred > 0
        ? {
            fr: `${deferred} message(s) en attente d’un nouvel essai et ${held} retenu(s) : voyez la santé des relais ci-dessous.`,
            en: `${deferred} message(s) waiting for another try and ${held} held: see the relays' health below.`,
          }
        : undefined,
  };
}

function outboundCounters(): Promise<Record<string, number>> {
  const metric = register.getSingleMetric('giroflee_outbound_messages_total');
  if (!metric) return Promise.resolve({});
  return Promise.resolve(metric.get()).then((m) => {
    const out: Record<string, number> = {};
    for (const v of m.values) out[String(v.labels.result ?? 'all')] = v.value;
    return out;
  });
}

/**
 * The platform on one page, for a racine: PostgreSQL, the listeners of this node (both
 * gateways, Dovecot's LMTP, the DNS zone), Postfix's queue, the relays' last probes and the
 * domains' last checks. Each item says what is wrong and where to look; none blocks the others.
 */
export async function platformHealth(
  ctx: CommandContext & { db: Knex },
  targets: HealthTargets,
): Promise<PlatformHealth> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const timeoutMs = targets.timeoutMs ?? 1000;
  const c = ctx.config;
  const dbStarted = Date.now();
  const [ready, inbound, outbound, dovecot, zone, postfix, relays, domains, counters] = await Promise.all([
    readiness(ctx),
    tcpProbe(c.lmtp, timeoutMs),
    tcpProbe(c.outbound, timeoutMs),
    tcpProbe(c.dovecotLmtp, timeoutMs),
    zoneProbe(c.dnsZoneListen, c.dns.dkimZone, timeoutMs),
    postfixItem(targets, timeoutMs),
    listRelays(ctx),
    domainStates(ctx),
    outboundCounters(),
  ]);
  const items: HealthItem[] = [];
  items.push({
    id: 'database',
    status: ready.status === 'ready' ? 'ok' : ready.status === 'migrations_pending' ? 'warning' : 'error',
    facts: { state: ready.status, latencyMs: Date.now() - dbStarted },
    message:
      ready.status === 'migrations_pending'
        ? {
            fr: 'Des migrations attendent : lancez giroflee migrate.',
            en: 'Migrations are pending: run giroflee migrate.',
          }
        : undefined,
  });
  items.push(listener('inbound-gateway', inbound, c.lmtp));
  items.push(listener('outbound-gateway', outbound, c.outbound));
  items.push(listener('dovecot', dovecot, c.dovecotLmtp));
  items.push({
    ...listener('dns-zone', zone, c.dnsZoneListen),
    facts: {
      listen: `${c.dnsZoneListen.host}:${c.dnsZoneListen.port}`,
      zone: c.dns.dkimZone,
      latencyMs: zone.latencyMs ?? null,
      error: zone.error ?? null,
    },
  });
  items.push(postfix);

  const live = relays.filter((r) => r.state !== 'disabled');
  const up = live.filter((r) => r.health_status === 'up').length;
  const down = live.filter((r) => r.health_status === 'down').length;
  const listed = live.filter((r) => (r.dnsbl_listings ?? []).length > 0).length;
  items.push({
    id: 'relays',
    status:
      live.length === 0 ? 'ok' : up === 0 && down > 0 ? 'error' : down > 0 || listed > 0 ? 'warning' : 'ok',
    facts: { total: relays.length, inUse: live.length, up, down, listed },
    message:
      up === 0 && down > 0
        ? {
            fr: 'Aucun relais ne répond : le courrier sortant attend dans la file de Postfix (rien n’est perdu).',
            en: 'No relay answers: outbound mail waits in Postfix’s queue (nothing is lost).',
          }
        : undefined,
  });

  const byStatus: Record<string, number> = {
    ok: 0,
    warning: 0,
    error: 0,
    unknown: 0,
    pending: 0,
    suspended: 0,
    never: 0,
  };
  let total = 0;
  for (const d of domains) {
    total += d.n;
    byStatus[d.status !== 'active' ? d.status : (d.check ?? 'never')] += d.n;
  }
  items.push({
    id: 'domains',
    status: byStatus.error > 0 ? 'warning' : 'ok',
    facts: { total, ...byStatus },
  });

  return {
    checkedAt: ctx.now().toISOString(),
    status: worst(items.map((i) => i.status)),
    items,
    outbound: counters,
  };
}

/** A racine's read-only view of the master-key rotation (the rotation itself is a CLI command). */
export async function masterKeyProgress(ctx: CommandContext & { db: Knex }): Promise<MasterKeyStatus> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  return masterKeyStatus(ctx.db, ctx.keyring);
}

/** A racine's view of Postfix's queue, for draining a relay: what still waits to leave. */
export async function postfixQueue(ctx: CommandContext, targets: HealthTargets): Promise<HealthItem> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  return postfixItem(targets, targets.timeoutMs ?? 1000);
}
