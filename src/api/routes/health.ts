import type { Express } from 'express';
import type { AppContext } from '../../context';
import { migrationsCurrent } from '../../db/knex';

export function mountHealth(app: Express, ctx: AppContext): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await ctx.db.raw('SELECT 1');
      const current = await migrationsCurrent(ctx.db);
      res
        .status(current ? 200 : 503)
        .json({ status: current ? 'ready' : 'migrations_pending', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  });
}
