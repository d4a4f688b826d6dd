import type { AppContext, ServiceContext } from '../context';
import { runInTransaction, tryAdvisoryLock } from '../db/transaction';
import type { LocalizedText } from '../errors';
import { logger } from '../logger';
import { checkDnsbl, type DnsblQuery } from './dnsbl';
import { outboundMetrics } from '../metrics/metrics';
import { recordRelayHealth, relaysToProbe, type HealthStatus, type RelayRow } from './relays';
import type { RelayTarget } from './relay-transport';
import { toTarget } from './routing-targets';

/** Single runner across giroflee copies: the probe holds this advisory lock while it runs. */
const PROBE_LOCK = 0x67_69_72_6f; // "giro"

export interface ProbeDeps {
  /** Connect, EHLO, STARTTLS, AUTH (nodemailer's verify); throws on failure. */
  verify(target: RelayTarget): Promise<void>;
  dnsbl: DnsblQuery;
  zones: string[];
  /** Tells the racines; a failure to notify is logged, never fatal to the probe. */
  notify(notice: { subject: LocalizedText; text: LocalizedText }): Promise<void>;
  /** Monotonic milliseconds, for latency. */
  clock(): number;
}

export interface ProbeResult {
  name: string;
  status: HealthStatus;
  previous: HealthStatus;
  latencyMs: number | null;
  error: string | null;
}

async function probeOne(ctx: ServiceContext, deps: ProbeDeps, relay: RelayRow) {
  const started = deps.clock();
  let error: string | null = null;
  let latencyMs: number | null = null;
  try {
    await deps.verify(toTarget(ctx.keyring, relay));
    latencyMs = Math.round(deps.clock() - started);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    error = `${err.code ?? 'ERROR'}: ${err.message ?? String(e)}`.slice(0, 500);
  }
  const dnsbl = relay.sending_ips.length
    ? await checkDnsbl(relay.sending_ips, deps.zones, deps.dnsbl)
    : { listings: [], unknown: 0 };
  // A listed relay is as bad as a dead one: its mail would be refused or land in spam.
  if (!error && dnsbl.listings.length) {
    error = `listed: ${dnsbl.listings.map((l) => `${l.ip} in ${l.zone}`).join(', ')}`;
  }
  return { status: (error ? 'down' : 'up') as HealthStatus, latencyMs, error, listings: dnsbl.listings };
}

function noticeFor(r: ProbeResult): { subject: LocalizedText; text: LocalizedText } {
  if (r.status === 'up') {
    return {
      subject: { fr: `Relais ${r.name} rétabli`, en: `Relay ${r.name} is back up` },
      text: {
        fr: `Le relais sortant ${r.name} répond de nouveau (${r.latencyMs} ms). Il reçoit à nouveau du courrier selon sa priorité.`,
        en: `The outbound relay ${r.name} answers again (${r.latencyMs} ms). It takes mail again by its priority.`,
      },
    };
  }
  return {
    subject: { fr: `Relais ${r.name} en panne`, en: `Relay ${r.name} is down` },
    text: {
      fr: `Le relais sortant ${r.name} est en échec : ${r.error}\nLe courrier passe par les autres relais ; rien n’est perdu, Postfix garde ce qui ne peut pas partir.`,
      en: `The outbound relay ${r.name} is failing: ${r.error}\nMail goes through the other relays; nothing is lost, Postfix keeps what cannot leave.`,
    },
  };
}

/**
 * Probes every relay that is not disabled, stores status, latency and DNSBL listings, and tells
 * the racines when a relay goes down or comes back. Returns undefined when another copy holds
 * the lock (it is probing right now).
 */
export async function probeRelays(ctx: AppContext, deps: ProbeDeps): Promise<ProbeResult[] | undefined> {
  const results = await runInTransaction(ctx, async (job) => {
    if (!(await tryAdvisoryLock(job.db, PROBE_LOCK))) return undefined;
    const out: ProbeResult[] = [];
    for (const relay of await relaysToProbe(job)) {
      const health = await probeOne(job, deps, relay);
      await recordRelayHealth(job, relay.id, health);
      outboundMetrics.relayUp.set({ relay: relay.name }, health.status === 'up' ? 1 : 0);
      if (health.latencyMs !== null)
        outboundMetrics.relayLatency.set({ relay: relay.name }, health.latencyMs);
      outboundMetrics.relayListed.set({ relay: relay.name }, health.listings.length);
      out.push({ name: relay.name, previous: relay.health_status, ...health });
    }
    return out;
  });
  if (!results) return undefined;
  for (const r of results) {
    const changed = r.status !== r.previous && !(r.previous === 'unknown' && r.status === 'up');
    if (!changed) continue;
    try {
      await deps.notify(noticeFor(r));
    } catch (e) {
      logger.error({ err: e, relay: r.name }, 'relay probe: racines not notified');
    }
  }
  return results;
}
