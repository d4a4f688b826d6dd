import type { AppContext, ServiceContext } from '../context';
import { runInTransaction, tryAdvisoryLock } from '../db/transaction';
import { reconcileAlerts, type AlertInput } from '../alerts/raise-alert';
import { checkDnsbl, type DnsblQuery } from './dnsbl';
import { outboundMetrics } from '../metrics/metrics';
import {
  recordRelayHealth,
  relaysToProbe,
  type DnsblListing,
  type HealthStatus,
  type RelayRow,
} from './relays';
import type { RelayTarget } from './relay-transport';
import { toTarget } from './routing-targets';

/** Single runner across giroflee copies: the probe holds this advisory lock while it runs. */
const PROBE_LOCK = 0x67_69_72_6f; // "giro"

export interface ProbeDeps {
  /** Connect, EHLO, STARTTLS, AUTH (nodemailer's verify); throws on failure. */
  verify(target: RelayTarget): Promise<void>;
  dnsbl: DnsblQuery;
  zones: string[];
  /** Monotonic milliseconds, for latency. */
  clock(): number;
}

export interface ProbeResult {
  name: string;
  status: HealthStatus;
  previous: HealthStatus;
  latencyMs: number | null;
  error: string | null;
  listings: DnsblListing[];
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

/** A relay that does not answer (or refuses our login): the others take its mail. */
function relayDown(r: ProbeResult): AlertInput {
  return {
    kind: 'relay_down',
    subject: r.name,
    title: { fr: `Relais ${r.name} en panne`, en: `Relay ${r.name} is down` },
    text: {
      fr: `Le relais sortant ${r.name} est en échec : ${r.error}\nLe courrier passe par les autres relais ; rien n’est perdu, Postfix garde ce qui ne peut pas partir.`,
      en: `The outbound relay ${r.name} is failing: ${r.error}\nMail goes through the other relays; nothing is lost, Postfix keeps what cannot leave.`,
    },
  };
}

/** A relay whose sending addresses are on a DNSBL: its mail would be refused or filed as spam. */
function relayListed(r: ProbeResult): AlertInput {
  const where = r.listings.map((l) => `${l.ip} (${l.zone})`).join(', ');
  return {
    kind: 'relay_listed',
    subject: r.name,
    title: { fr: `Relais ${r.name} sur liste noire`, en: `Relay ${r.name} is blocklisted` },
    text: {
      fr: `Les adresses d’envoi du relais ${r.name} sont listées : ${where}. giroflee ne lui confie plus de courrier qu’en dernier recours ; demandez le retrait de la liste à l’opérateur du relais.`,
      en: `The sending addresses of relay ${r.name} are listed: ${where}. giroflee hands it mail only as a last resort; ask the relay's operator to get delisted.`,
    },
  };
}

const ALL_RELAYS_DOWN: AlertInput = {
  kind: 'all_relays_down',
  severity: 'critical',
  title: { fr: 'Aucun relais sortant ne fonctionne', en: 'No outbound relay works' },
  text: {
    fr: 'Tous les relais sortants, secours compris, sont en panne ou listés : le courrier sortant reste dans la file de Postfix (rien n’est perdu avant son délai d’expiration, 5 jours). Les alertes par e-mail ne partent plus ; seul le webhook vous atteint.',
    en: 'Every outbound relay, fallbacks included, is down or listed: outgoing mail stays in Postfix’s queue (nothing is lost before it expires, after 5 days). Alert e-mails no longer leave; only the webhook reaches you.',
  },
};

/** The relay alerts for one probe of every relay: down, listed, and none left working. */
async function alertOnRelays(ctx: AppContext, results: ProbeResult[]): Promise<void> {
  const listed = results.filter((r) => r.listings.length > 0);
  const dead = results.filter((r) => r.status === 'down' && r.listings.length === 0);
  await reconcileAlerts(ctx, 'relay_down', dead.map(relayDown));
  await reconcileAlerts(ctx, 'relay_listed', listed.map(relayListed));
  const noneUp = results.length > 0 && results.every((r) => r.status !== 'up');
  await reconcileAlerts(ctx, 'all_relays_down', noneUp ? [ALL_RELAYS_DOWN] : []);
}

/**
 * Probes every relay that is not disabled, stores status, latency and DNSBL listings, and raises
 * (or resolves) the relay alerts: the alerts tell the racines once per condition, and again when
 * it ends. Returns undefined when another copy holds
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
  await alertOnRelays(ctx, results);
  return results;
}
