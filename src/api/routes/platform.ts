import type { Router } from 'express';
import type { AppContext } from '../../context';
import { dkimOverview } from '../../dns/dkim-rotation';
import { masterKeyProgress, platformHealth, postfixQueue } from '../../health/platform-health';
import { watchedPostfixConfigDir } from '../../mailstack/queue-summary';
import { defineRoute } from '../define-route';

/**
 * The platform as a racine watches it: health on one page, Postfix's queue, the master-key
 * rotation's progress. Read-only; racines only. These GETs run on the pool (no transaction):
 * `app.db` is the same handle the handler's context holds.
 */
export function mountPlatform(router: Router, app: AppContext): void {
  const targets = () => ({ postfixConfigDir: watchedPostfixConfigDir(app.config) });

  defineRoute(router, app, {
    method: 'get',
    path: '/platform/health',
    summary: 'Racine: PostgreSQL, this node’s listeners, Postfix’s queue, relays and domains at a glance',
    tags: ['platform'],
    handler: async ({ ctx }) => platformHealth({ ...ctx, db: app.db }, targets()),
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/platform/queue',
    summary: 'Racine: how many messages wait in Postfix’s queue, by queue (counts only)',
    tags: ['platform'],
    handler: async ({ ctx }) => postfixQueue(ctx, targets()),
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/platform/master-key',
    summary: 'Racine: the master-key rotation’s progress (secrets re-wrapped / total) and the CLI command',
    tags: ['platform'],
    handler: async ({ ctx }) => masterKeyProgress({ ...ctx, db: app.db }),
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/platform/dkim',
    summary:
      'Racine: every domain’s DKIM state (signing selectors, key awaiting DNS, retiring key and when it goes, next scheduled rotation)',
    tags: ['platform'],
    handler: async ({ ctx }) => ({ items: await dkimOverview(ctx) }),
  });
}
