import type { Router } from 'express';
import { z } from 'zod';
import {
  createAlias,
  deleteAlias,
  findAliasForActor,
  listAliases,
  presentAlias,
  updateAlias,
} from '../../aliases/aliases';
import type { AppContext } from '../../context';
import { findDomainForActor } from '../../domains/find-domain';
import { emailAddressSchema, localPartSchema } from '../../names/email-address';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { domainParams } from './domains';

const destinations = z
  .array(emailAddressSchema)
  .min(1)
  .max(100)
  .transform((list) => [...new Set(list.map((a) => a.address))]);

export function mountAliases(router: Router, ctx: AppContext): void {
  const limit = mutationLimiter();

  defineRoute(router, ctx, {
    method: 'post',
    path: '/domains/:name/aliases',
    summary: 'Create an alias (localPart "*" is the catch-all) forwarding to internal or external addresses',
    tags: ['aliases'],
    rateLimit: limit,
    params: domainParams,
    body: z.strictObject({ localPart: z.union([z.literal('*'), localPartSchema]), destinations }),
    handler: async ({ actor, params, body }) =>
      ctx.db.transaction(async (trx) => {
        const domain = await findDomainForActor(trx, actor, params.name, 'manage');
        return presentAlias(await createAlias(trx, actor, domain, body));
      }),
  });

  defineRoute(router, ctx, {
    method: 'get',
    path: '/domains/:name/aliases',
    summary: 'Aliases of a domain',
    tags: ['aliases'],
    params: domainParams,
    handler: async ({ actor, params }) => {
      const domain = await findDomainForActor(ctx.db, actor, params.name, 'read');
      return { items: (await listAliases(ctx.db, domain.id)).map(presentAlias) };
    },
  });

  defineRoute(router, ctx, {
    method: 'patch',
    path: '/aliases/:id',
    summary: 'Replace the destinations of an alias',
    tags: ['aliases'],
    rateLimit: limit,
    params: z.strictObject({ id: z.uuid() }),
    body: z.strictObject({ destinations }),
    handler: async ({ actor, params, body }) =>
      ctx.db.transaction(async (trx) => {
        const alias = await findAliasForActor(trx, actor, params.id, 'update');
        return presentAlias(await updateAlias(trx, actor, alias, body));
      }),
  });

  defineRoute(router, ctx, {
    method: 'delete',
    path: '/aliases/:id',
    summary: 'Delete an alias',
    tags: ['aliases'],
    rateLimit: limit,
    params: z.strictObject({ id: z.uuid() }),
    status: 204,
    handler: async ({ actor, params }) => {
      await ctx.db.transaction(async (trx) => {
        const alias = await findAliasForActor(trx, actor, params.id, 'delete');
        await deleteAlias(trx, actor, alias);
      });
      return undefined;
    },
  });
}
