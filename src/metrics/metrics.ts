import { collectDefaultMetrics, Counter, Gauge, Histogram, register } from 'prom-client';

/**
 * Every Prometheus metric of giroflee, in prom-client's default registry, defined once here so
 * that names, labels and help texts stay consistent and a module reloaded by tests finds the
 * metric it already registered. Labels never carry an address or a mailbox: only relay names,
 * route templates, reasons and results.
 */
function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return (
    (register.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames: [...labelNames] })
  );
}

function gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
  return (
    (register.getSingleMetric(name) as Gauge<L> | undefined) ??
    new Gauge({ name, help, labelNames: [...labelNames] })
  );
}

function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[],
): Histogram<L> {
  return (
    (register.getSingleMetric(name) as Histogram<L> | undefined) ??
    new Histogram({ name, help, labelNames: [...labelNames], buckets })
  );
}

/** Alerts to the racines (src/alerts). */
export const alertMetrics = {
  channels: gauge(
    'giroflee_alert_channels',
    'Alert channels able to reach the racines: 1 configured, 0 not (no channel at all: alerts go nowhere)',
    ['channel'],
  ),
  firing: gauge('giroflee_alerts_firing', 'Alerts firing now, by kind', ['kind']),
  deliveries: counter('giroflee_alert_deliveries_total', 'Alert messages sent, by channel and result', [
    'channel',
    'result',
  ]),
};

/** The inbound gateway (src/encryption/lmtp-gateway.ts): one count per recipient reply. */
export const inboundMetrics = {
  recipients: counter(
    'giroflee_inbound_recipients_total',
    'Recipients answered by the inbound gateway: delivered (stored), deferred (4xx, Postfix retries) or refused (5xx), by reason',
    ['result', 'reason'],
  ),
  encryptionSeconds: histogram(
    'giroflee_inbound_encryption_seconds',
    'Time to turn one received message into PGP/MIME for one set of keys',
    [],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  ),
};

/** Reasons by enhanced status code (RFC 3463), so a dashboard says why without reading codes. */
const INBOUND_REASONS: Record<string, string> = {
  '5.1.1': 'no_mailbox',
  '5.3.4': 'too_big',
  '4.7.0': 'no_key',
  '4.3.0': 'internal',
  '4.3.2': 'shutting_down',
  '4.2.2': 'over_quota',
  '5.2.2': 'over_quota',
};

/** Counts the replies to one LMTP transaction: text for a success, an Error with responseCode otherwise. */
export function countInboundReplies(replies: Array<string | Error>): void {
  for (const r of replies) {
    const code = typeof r === 'string' ? 250 : ((r as { responseCode?: number }).responseCode ?? 451);
    const text = typeof r === 'string' ? r : r.message;
    const enhanced = /^([245]\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1];
    const result = code < 300 ? 'delivered' : code < 500 ? 'deferred' : 'refused';
    const reason =
      result === 'delivered'
        ? 'stored'
        : (INBOUND_REASONS[enhanced ?? ''] ?? (enhanced?.startsWith('4.4.') ? 'next_hop' : 'other'));
    inboundMetrics.recipients.inc({ result, reason });
  }
}

/** Times one encryption (the promise it is given), whatever its outcome. */
export function timeEncryption<T>(work: Promise<T>): Promise<T> {
  const end = inboundMetrics.encryptionSeconds.startTimer();
  work.then(
    () => end(),
    () => end(),
  );
  return work;
}

/** The outbound gateway and the relay pool (src/relay). */
export const outboundMetrics = {
  messages: counter('giroflee_outbound_messages_total', 'Messages answered by the outbound gateway', [
    'result',
  ]),
  attempts: counter('giroflee_outbound_relay_attempts_total', 'Attempts at each relay, by outcome', [
    'relay',
    'result',
  ]),
  relayUp: gauge('giroflee_relay_up', 'Last probe: 1 up, 0 down', ['relay']),
  relayLatency: gauge('giroflee_relay_probe_latency_ms', 'Last probe latency in milliseconds', ['relay']),
  relayListed: gauge('giroflee_relay_dnsbl_listings', 'DNSBL listings of the relay sending IPs', ['relay']),
};

/** Postfix's queue on this host, read with `postqueue -j` (src/monitoring). */
export const queueMetrics = {
  messages: gauge('giroflee_postfix_queue_messages', 'Messages in Postfix queues on this host', ['queue']),
  oldestSeconds: gauge(
    'giroflee_postfix_queue_oldest_seconds',
    'Age of the oldest message in each Postfix queue on this host',
    ['queue'],
  ),
  readErrors: counter('giroflee_postfix_queue_read_errors_total', 'Failed reads of the Postfix queue', []),
};

/** DNS checks of members' domains (src/dns). */
export const dnsMetrics = {
  checks: counter('giroflee_dns_checks_total', 'DNS checks of domains, by check and result', [
    'check',
    'status',
  ]),
};

/** Counts each check of one domain's report. */
export function countDnsChecks(report: { checks: Array<{ id: string; status: string }> }): void {
  for (const c of report.checks) dnsMetrics.checks.inc({ check: c.id, status: c.status });
}

/** HTTP requests (src/api), by route template, never by path: no address or name in a label. */
export const httpMetrics = {
  duration: histogram(
    'giroflee_http_request_duration_seconds',
    'HTTP requests by method, route template and status',
    ['method', 'route', 'status'],
    [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  ),
};

/**
 * Scheduled jobs (retention…): when each last finished, on whichever copy ran it. Their label is
 * `task`, not `job`: Prometheus puts its own `job` on every series it scrapes.
 */
export const jobMetrics = {
  lastSuccess: gauge('giroflee_job_last_success_timestamp_seconds', 'When a scheduled job last finished', [
    'task',
  ]),
  rows: counter('giroflee_job_rows_total', 'Rows a scheduled job removed or changed', ['task', 'table']),
};

/** What a database pool says about itself (knex's tarn pool). */
export interface PoolStats {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

let pool: PoolStats | undefined;
if (!register.getSingleMetric('giroflee_db_pool_connections')) {
  new Gauge({
    name: 'giroflee_db_pool_connections',
    help: 'PostgreSQL connections of this process: used, free, and requests waiting for one',
    labelNames: ['state'],
    collect() {
      if (!pool) return;
      this.set({ state: 'used' }, pool.numUsed());
      this.set({ state: 'free' }, pool.numFree());
      this.set({ state: 'pending_acquire' }, pool.numPendingAcquires());
      this.set({ state: 'pending_create' }, pool.numPendingCreates());
    },
  });
}

let processMetrics = false;

/**
 * Turns on the process's own metrics (CPU, memory, event loop lag, file descriptors: prom-client's
 * defaults) and the pool gauges for `stats`. Once per process; the last pool given wins.
 */
export function watchProcess(stats: PoolStats | undefined): void {
  pool = stats;
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics();
}

/** The Prometheus text of every metric, with its content type. */
export async function metricsText(): Promise<{ contentType: string; text: string }> {
  return { contentType: register.contentType, text: await register.metrics() };
}
