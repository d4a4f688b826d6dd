import type { Router } from 'express';
import { z } from 'zod';
import { isRacine } from '../../auth/actor';
import type { AppContext } from '../../context';
import {
  collectiveSlug,
  createDomain,
  deleteDomain,
  listDomains,
  presentDomain,
} from '../../domains/domains';
import { findDomainForActor } from '../../domains/find-domain';
import { errors } from '../../errors';
import { domainNameSchema } from '../../names/domain-name';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { slugSchema } from '../../collectives/collectives';
import { loadCollective } from './collectives';

export const domainParams = z.strictObject({ name: domainNameSchema });

export function mountDomains(router: Router, ctx: AppContext): void {
  const limit = mutationLimiter();

  defineRoute(router, ctx, {
    method: 'post',
    path: '/collectives/:slug/domains',
    summary: 'Link a domain: created pending, with the TXT record that proves ownership',
    tags: ['domains'],
    rateLimit: limit,
    params: z.strictObject({ slug: slugSchema }),
    body: z.strictObject({ name: domainNameSchema }),
    handler: async ({ actor, params, body }) =>
      ctx.db.transaction(async (trx) => {
        const collective = await loadCollective(trx, actor, params.slug, 'manage');
        return presentDomain(await createDomain(trx, actor, collective, body.name));
      }),
  });

  defineRoute(router, ctx, {
    method: 'get',
    path: '/collectives/:slug/domains',
    summary: 'Domains of a collective',
    tags: ['domains'],
    params: z.strictObject({ slug: slugSchema }),
    handler: async ({ actor, params }) => {
      const collective = await loadCollective(ctx.db, actor, params.slug, 'read');
      return { items: (await listDomains(ctx.db, collective.id)).map(presentDomain) };
    },
  });

  defineRoute(router, ctx, {
    method: 'get',
    path: '/domains/:name',
    summary: 'One domain, with its verification record while pending',
    tags: ['domains'],
    params: domainParams,
    handler: async ({ actor, params }) => {
      const domain = await findDomainForActor(ctx.db, actor, params.name, 'read');
      return presentDomain({
        ...domain,
        collective_slug: await collectiveSlug(ctx.db, domain.collective_id),
      });
    },
  });

  defineRoute(router, ctx, {
    method: 'delete',
    path: '/domains/:name',
    summary: 'Delete a domain; refused while it has mailboxes unless a racine passes ?force=true',
    tags: ['domains'],
    rateLimit: limit,
    params: domainParams,
    query: z.strictObject({ force: z.enum(['true', 'false']).optional() }),
    status: 204,
    handler: async ({ actor, params, query }) => {
      const force = query.force === 'true';
      if (force && !isRacine(actor)) {
        throw errors.forbidden(undefined, {
          fr: 'Seule une racine peut forcer la suppression.',
          en: 'Only a racine may force a deletion.',
        });
      }
      await ctx.db.transaction(async (trx) => {
        const domain = await findDomainForActor(trx, actor, params.name, 'delete');
        await deleteDomain(trx, actor, domain, force);
      });
      return undefined;
    },
  });
}
