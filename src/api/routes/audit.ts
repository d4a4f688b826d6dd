import type { Router } from 'express';
import { z } from 'zod';
import { listAudit } from '../../audit/list-audit';
import { findCollectiveForActor, slugSchema } from '../../collectives/collectives';
import type { AppContext } from '../../context';
import { defineRoute } from '../define-route';

export function mountAudit(router: Router, app: AppContext): void {
  defineRoute(router, app, {
    method: 'get',
    path: '/audit',
    summary: 'Audit log, newest first (racine: everything; collective admin: their collectives)',
    tags: ['audit'],
    query: z.strictObject({
      since: z.coerce.date().optional(),
      until: z.coerce.date().optional(),
      actor: z.string().max(320).optional(),
      /** An action (`mailbox.create`), or every action of a kind when it ends with a dot (`mailbox.`). */
      action: z
        .string()
        .regex(/^[a-z_]+(\.[a-z_]+)*\.?$/)
        .max(100)
        .optional(),
      collective: slugSchema.optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      before: z.coerce.number().int().positive().optional(),
    }),
    handler: async ({ ctx, query }) => {
      const collective = query.collective
        ? await findCollectiveForActor(ctx, query.collective, 'read')
        : undefined;
      return listAudit(ctx, { ...query, collectiveId: collective?.id });
    },
  });
}
