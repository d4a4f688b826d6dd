import type { Router } from 'express';
import { z } from 'zod';
import { collectiveSlug, findCollectiveForActor } from '../../collectives/collectives';
import type { AppContext } from '../../context';
import { createDomain } from '../../domains/commands/create-domain';
import { deleteDomain } from '../../domains/commands/delete-domain';
import { endDeletedDomainSessions } from '../../domains/end-domain-sessions';
import { listDomains, presentDomain } from '../../domains/domains';
import { findDomainForActor } from '../../domains/find-domain';
import { domainNameSchema } from '../../names/domain-name';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { domainParams, slugParams } from '../params';

export function mountDomains(router: Router, app: AppContext): void {
  const limit = mutationLimiter();

  defineRoute(router, app, {
    method: 'post',
    path: '/collectives/:slug/domains',
    summary: 'Link a domain: created pending, with the TXT record that proves ownership',
    tags: ['domains'],
    rateLimit: limit,
    params: slugParams,
    body: z.strictObject({ name: domainNameSchema }),
    handler: async ({ ctx, params, body }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'read');
      return presentDomain(await createDomain(ctx, collective, body.name));
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/collectives/:slug/domains',
    summary: 'Domains of a collective',
    tags: ['domains'],
    params: slugParams,
    handler: async ({ ctx, params }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'read');
      return { items: (await listDomains(ctx, { collectiveId: collective.id })).map(presentDomain) };
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/domains/:name',
    summary: 'One domain, with its verification record while pending',
    tags: ['domains'],
    params: domainParams,
    handler: async ({ ctx, params }) => {
      const domain = await findDomainForActor(ctx, params.name, 'read');
      return presentDomain({ ...domain, collective_slug: await collectiveSlug(ctx, domain.collective_id) });
    },
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/domains/:name',
    summary:
      'Delete a domain; refused while it has mailboxes unless a racine passes ?force=true, which ends their open sessions: 204, or 200 with `sessions` when Dovecot could not end them',
    tags: ['domains'],
    rateLimit: limit,
    params: domainParams,
    query: z.strictObject({ force: z.enum(['true', 'false']).optional() }),
    status: 204,
    // The deletion commits first, then what its mailboxes had open is ended.
    transaction: false,
    handler: async ({ ctx, params, query, inTransaction, res }) => {
      const { domain, addresses } = await inTransaction(async (tx) => {
        const found = await findDomainForActor(tx, params.name, 'read');
        return { domain: found, addresses: await deleteDomain(tx, found, query.force === 'true') };
      });
      const sessions = await endDeletedDomainSessions(ctx, domain, addresses);
      if (!sessions.ended) res.status(200).json({ sessions });
      return undefined;
    },
  });
}
