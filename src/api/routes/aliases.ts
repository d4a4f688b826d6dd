import type { Router } from 'express';
import { z } from 'zod';
import { findAliasForActor, listAliases, presentAlias } from '../../aliases/aliases';
import { createAlias } from '../../aliases/commands/create-alias';
import { deleteAlias } from '../../aliases/commands/delete-alias';
import { updateAlias } from '../../aliases/commands/update-alias';
import type { AppContext } from '../../context';
import { findDomainForActor } from '../../domains/find-domain';
import { emailAddressSchema, localPartSchema } from '../../names/email-address';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { domainParams, idParams } from '../params';

const destinations = z
  .array(emailAddressSchema)
  .min(1)
  .max(100)
  .transform((list) => [...new Set(list.map((a) => a.address))]);

export function mountAliases(router: Router, app: AppContext): void {
  const limit = mutationLimiter();

  defineRoute(router, app, {
    method: 'post',
    path: '/domains/:name/aliases',
    summary: 'Create an alias (localPart "*" is the catch-all) forwarding to internal or external addresses',
    tags: ['aliases'],
    rateLimit: limit,
    params: domainParams,
    body: z.strictObject({ localPart: z.union([z.literal('*'), localPartSchema]), destinations }),
    handler: async ({ ctx, params, body }) => {
      const domain = await findDomainForActor(ctx, params.name, 'read');
      return presentAlias(await createAlias(ctx, domain, body));
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/domains/:name/aliases',
    summary: 'Aliases of a domain',
    tags: ['aliases'],
    params: domainParams,
    handler: async ({ ctx, params }) => {
      const domain = await findDomainForActor(ctx, params.name, 'read');
      return { items: (await listAliases(ctx, domain.id)).map(presentAlias) };
    },
  });

  defineRoute(router, app, {
    method: 'patch',
    path: '/aliases/:id',
    summary: 'Replace the destinations of an alias',
    tags: ['aliases'],
    rateLimit: limit,
    params: idParams,
    body: z.strictObject({ destinations }),
    handler: async ({ ctx, params, body }) =>
      presentAlias(await updateAlias(ctx, await findAliasForActor(ctx, params.id, 'read'), body)),
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/aliases/:id',
    summary: 'Delete an alias',
    tags: ['aliases'],
    rateLimit: limit,
    params: idParams,
    status: 204,
    handler: async ({ ctx, params }) => {
      await deleteAlias(ctx, await findAliasForActor(ctx, params.id, 'read'));
      return undefined;
    },
  });
}
