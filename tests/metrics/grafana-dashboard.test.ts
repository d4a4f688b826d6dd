import fs from 'node:fs';
import path from 'node:path';
import { register } from 'prom-client';
import { watchProcess } from '../../src/metrics/metrics';

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}

/** Labels every series has once Prometheus scraped it, beside the metric's own. */
const TARGET_LABELS = ['instance', 'job'];
const HISTOGRAM_SERIES = ['_bucket', '_count', '_sum'];

/**
 * The Grafana dashboard shipped in docs/: every query names metrics giroflee registers, groups
 * by labels they have, so the dashboard cannot drift from src/metrics unnoticed.
 */
describe('the Grafana dashboard in docs/', () => {
  const dashboard = JSON.parse(
    fs.readFileSync(path.join(__dirname, '../../docs/grafana-dashboard.json'), 'utf8'),
  ) as { uid: string; panels: Panel[] };
  const queries = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
  );

  /** Every series giroflee exposes, with the labels it may be grouped by. */
  const series = new Map<string, string[]>();
  beforeAll(() => {
    watchProcess(undefined);
    for (const m of register.getMetricsAsArray()) {
      const labels = [...((m as unknown as { labelNames?: string[] }).labelNames ?? []), ...TARGET_LABELS];
      const type = (m as unknown as { type: string }).type;
      if (type === 'histogram') {
        for (const suffix of HISTOGRAM_SERIES) series.set(m.name + suffix, [...labels, 'le']);
      } else {
        series.set(m.name, labels);
      }
    }
  });

  it('has queries in every graph', () => {
    expect(dashboard.uid).toBe('giroflee');
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    for (const g of graphs)
      expect({ panel: g.title, queries: g.targets?.length ?? 0 }).not.toEqual({ panel: g.title, queries: 0 });
  });

  it('queries only metrics giroflee registers, by labels they carry', () => {
    for (const { panel, expr } of queries) {
      const names = expr.match(/\b(?:giroflee|process|nodejs)_[a-z0-9_]+\b/g) ?? [];
      expect({ panel, expr, names: names.length > 0 }).toEqual({ panel, expr, names: true });
      const grouped = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) =>
        m[1].split(',').map((l) => l.trim()),
      );
      for (const name of names) {
        expect({ panel, name, registered: series.has(name) }).toEqual({ panel, name, registered: true });
        for (const label of grouped.filter((l) => l !== 'le' || name.endsWith('_bucket'))) {
          expect({ panel, name, label, known: series.get(name)?.includes(label) }).toEqual({
            panel,
            name,
            label,
            known: true,
          });
        }
      }
    }
  });

  it('covers the inbound path, the relays, the queue, the API and the pool', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const metric of [
      'giroflee_inbound_recipients_total',
      'giroflee_inbound_encryption_seconds_bucket',
      'giroflee_outbound_relay_attempts_total',
      'giroflee_postfix_queue_messages',
      'giroflee_dns_checks_total',
      'giroflee_http_request_duration_seconds_bucket',
      'giroflee_db_pool_connections',
      'giroflee_alert_channels',
    ]) {
      expect(all).toContain(metric);
    }
  });
});
