import type { Router } from 'express';
import { z } from 'zod';
import { listApiTokens, presentApiToken } from '../../auth/api-tokens';
import {
  findCollectiveForActor,
  listCollectives,
  presentCollective,
  slugSchema,
} from '../../collectives/collectives';
import { createApiToken } from '../../collectives/commands/create-api-token';
import { createCollective } from '../../collectives/commands/create-collective';
import { deleteCollective } from '../../collectives/commands/delete-collective';
import { inviteMember } from '../../collectives/commands/invite-member';
import { removeMember } from '../../collectives/commands/remove-member';
import { revokeApiToken } from '../../collectives/commands/revoke-api-token';
import { updateCollective } from '../../collectives/commands/update-collective';
import { listMembers, presentMember } from '../../collectives/members';
import type { AppContext } from '../../context';
import { displayTextSchema } from '../../names/display-text';
import { emailAddressSchema } from '../../names/email-address';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { slugParams } from '../params';

const collectiveName = displayTextSchema(200);

export function mountCollectives(router: Router, app: AppContext): void {
  const limit = mutationLimiter();

  defineRoute(router, app, {
    method: 'post',
    path: '/collectives',
    summary: 'Racine: create a collective',
    tags: ['collectives'],
    rateLimit: limit,
    body: z.strictObject({ slug: slugSchema, name: collectiveName }),
    handler: async ({ ctx, body }) => presentCollective(await createCollective(ctx, body)),
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/collectives',
    summary: 'Collectives I belong to (all, for a racine)',
    tags: ['collectives'],
    handler: async ({ ctx }) => ({ items: (await listCollectives(ctx)).map(presentCollective) }),
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/collectives/:slug',
    summary: 'One collective',
    tags: ['collectives'],
    params: slugParams,
    handler: async ({ ctx, params }) =>
      presentCollective(await findCollectiveForActor(ctx, params.slug, 'read')),
  });

  defineRoute(router, app, {
    method: 'patch',
    path: '/collectives/:slug',
    summary: 'Rename a collective (its admins, or a racine)',
    tags: ['collectives'],
    rateLimit: limit,
    params: slugParams,
    body: z.strictObject({ name: collectiveName.optional() }),
    handler: async ({ ctx, params, body }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'read');
      return presentCollective(await updateCollective(ctx, collective, body));
    },
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/collectives/:slug',
    summary: 'Racine: delete a collective that has no domains left',
    tags: ['collectives'],
    rateLimit: limit,
    params: slugParams,
    status: 204,
    handler: async ({ ctx, params }) => {
      await deleteCollective(ctx, await findCollectiveForActor(ctx, params.slug, 'read'));
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/collectives/:slug/members',
    summary: 'Members of a collective and their roles',
    tags: ['members'],
    params: slugParams,
    handler: async ({ ctx, params }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'read');
      return { items: (await listMembers(ctx, collective.id)).map(presentMember) };
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/collectives/:slug/members',
    summary: 'Invite a member by e-mail; a new account gets a one-time password, returned once',
    tags: ['members'],
    rateLimit: limit,
    params: slugParams,
    body: z.strictObject({ email: emailAddressSchema, role: z.enum(['admin', 'member']).default('member') }),
    handler: async ({ ctx, params, body }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'read');
      const { member, oneTimePassword } = await inviteMember(ctx, collective, {
        email: body.email.address,
        role: body.role,
      });
      return { ...presentMember(member), oneTimePassword: oneTimePassword ?? null };
    },
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/collectives/:slug/members/:accountId',
    summary: 'Remove a member (never the last admin)',
    tags: ['members'],
    rateLimit: limit,
    params: z.strictObject({ slug: slugSchema, accountId: z.uuid() }),
    status: 204,
    handler: async ({ ctx, params }) => {
      await removeMember(ctx, await findCollectiveForActor(ctx, params.slug, 'read'), params.accountId);
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/collectives/:slug/tokens',
    summary: 'API tokens of a collective (never the secret)',
    tags: ['tokens'],
    params: slugParams,
    handler: async ({ ctx, params }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'manage');
      return { items: (await listApiTokens(ctx, collective.id)).map(presentApiToken) };
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/collectives/:slug/tokens',
    summary: 'Create an API token acting as an admin of this collective; the token is shown once',
    tags: ['tokens'],
    rateLimit: limit,
    params: slugParams,
    body: z.strictObject({ name: displayTextSchema(100) }),
    handler: async ({ ctx, params, body }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'read');
      const { row, token } = await createApiToken(ctx, collective, body);
      return { ...presentApiToken(row), token };
    },
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/collectives/:slug/tokens/:id',
    summary: 'Revoke an API token',
    tags: ['tokens'],
    rateLimit: limit,
    params: z.strictObject({ slug: slugSchema, id: z.uuid() }),
    status: 204,
    handler: async ({ ctx, params }) => {
      await revokeApiToken(ctx, await findCollectiveForActor(ctx, params.slug, 'read'), params.id);
      return undefined;
    },
  });
}
