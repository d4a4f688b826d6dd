import type { Router } from 'express';
import { z } from 'zod';
import { listAudit } from '../../audit/list-audit';
import type { AppContext } from '../../context';
import { defineRoute } from '../define-route';
import { slugSchema } from '../../collectives/collectives';
import { loadCollective } from './collectives';

export function mountAudit(router: Router, ctx: AppContext): void {
  defineRoute(router, ctx, {
    method: 'get',
    path: '/audit',
    summary: 'Audit log, newest first (racine: everything; collective admin: their collectives)',
    tags: ['audit'],
    query: z.strictObject({
      since: z.coerce.date().optional(),
      until: z.coerce.date().optional(),
      actor: z.string().max(320).optional(),
      collective: slugSchema.optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      before: z.coerce.number().int().positive().optional(),
    }),
    handler: async ({ actor, query }) => {
      const collective = query.collective
        ? await loadCollective(ctx.db, actor, query.collective, 'read')
        : undefined;
      return listAudit(ctx.db, actor, { ...query, collectiveId: collective?.id });
    },
  });
}
