import type { Express } from 'express';
import type { AppContext } from '../../context';
import { readiness } from '../../health/readiness';

export function mountHealth(app: Express, ctx: AppContext): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const state = await readiness(ctx);
    res.status(state.status === 'ready' ? 200 : 503).json(state);
  });
}
