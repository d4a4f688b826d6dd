import type { Express } from 'express';
import { register } from 'prom-client';
import type { AppContext } from '../../context';

/**
 * Prometheus metrics of this process (gateways, relays). Served on the HTTP listener, which is
 * loopback by default; a reverse proxy in front must not forward /metrics.
 */
export function mountMetrics(app: Express, _ctx: AppContext): void {
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', register.contentType);
    res.send(await register.metrics());
  });
}
