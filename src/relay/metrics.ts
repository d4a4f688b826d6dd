import { Counter, Gauge, register } from 'prom-client';

function counter(name: string, help: string, labelNames: string[]): Counter {
  return (register.getSingleMetric(name) as Counter) ?? new Counter({ name, help, labelNames });
}

function gauge(name: string, help: string, labelNames: string[]): Gauge {
  return (register.getSingleMetric(name) as Gauge) ?? new Gauge({ name, help, labelNames });
}

/** Prometheus metrics of the outbound path, in the default registry. */
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
