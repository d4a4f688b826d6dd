import { Counter, Gauge, Histogram, register } from 'prom-client';

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

export function histogram<L extends string>(
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
