import type { Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../../auth/actor';
import { authorize, Action } from '../../auth/authorize';
import { createApiToken, listApiTokens, revokeApiToken, ApiTokenRow } from '../../auth/api-tokens';
import { recordAudit } from '../../audit/record-audit';
import {
  createCollective,
  deleteCollective,
  findCollectiveBySlug,
  listCollectives,
  presentCollective,
  slugSchema,
  updateCollective,
} from '../../collectives/collectives';
import { inviteMember, listMembers, presentMember, removeMember } from '../../collectives/members';
import type { AppContext } from '../../context';
import type { Db } from '../../db/knex';
import { errors } from '../../errors';
import { emailAddressSchema } from '../../names/email-address';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';

const slugParams = z.strictObject({ slug: slugSchema });

/** The collective named by the URL, authorized for `action` (404 when the actor may not see it). */
export async function loadCollective(db: Db, actor: Actor, slug: string, action: Action) {
  const collective = await findCollectiveBySlug(db, slug);
  authorize(actor, action, { type: 'collective', collectiveId: collective.id });
  return collective;
}

function presentToken(t: ApiTokenRow) {
  return {
    id: t.id,
    name: t.name,
    createdAt: t.created_at,
    lastUsedAt: t.last_used_at,
    revokedAt: t.revoked_at,
  };
}

export function mountCollectives(router: Router, ctx: AppContext): void {
  const limit = mutationLimiter();

  defineRoute(router, ctx, {
    method: 'post',
    path: '/collectives',
    summary: 'Racine: create a collective',
    tags: ['collectives'],
    rateLimit: limit,
    body: z.strictObject({ slug: slugSchema, name: z.string().trim().min(1).max(200) }),
    handler: async ({ actor, body }) => {
      authorize(actor, 'manage', { type: 'platform' });
      return presentCollective(await ctx.db.transaction((trx) => createCollective(trx, actor, body)));
    },
  });

  defineRoute(router, ctx, {
    method: 'get',
    path: '/collectives',
    summary: 'Collectives I belong to (all, for a racine)',
    tags: ['collectives'],
    handler: async ({ actor }) => ({ items: (await listCollectives(ctx.db, actor)).map(presentCollective) }),
  });

  defineRoute(router, ctx, {
    method: 'get',
    path: '/collectives/:slug',
    summary: 'One collective',
    tags: ['collectives'],
    params: slugParams,
    handler: async ({ actor, params }) =>
      presentCollective(await loadCollective(ctx.db, actor, params.slug, 'read')),
  });

  defineRoute(router, ctx, {
    method: 'patch',
    path: '/collectives/:slug',
    summary: 'Rename a collective (its admins, or a racine)',
    tags: ['collectives'],
    rateLimit: limit,
    params: slugParams,
    body: z.strictObject({ name: z.string().trim().min(1).max(200).optional() }),
    handler: async ({ actor, params, body }) =>
      ctx.db.transaction(async (trx) => {
        const collective = await loadCollective(trx, actor, params.slug, 'update');
        return presentCollective(await updateCollective(trx, actor, collective, body));
      }),
  });

  defineRoute(router, ctx, {
    method: 'delete',
    path: '/collectives/:slug',
    summary: 'Racine: delete a collective that has no domains left',
    tags: ['collectives'],
    rateLimit: limit,
    params: slugParams,
    status: 204,
    handler: async ({ actor, params }) => {
      await ctx.db.transaction(async (trx) => {
        const collective = await loadCollective(trx, actor, params.slug, 'delete');
        await deleteCollective(trx, actor, collective);
      });
      return undefined;
    },
  });

  defineRoute(router, ctx, {
    method: 'get',
    path: '/collectives/:slug/members',
    summary: 'Members of a collective and their roles',
    tags: ['members'],
    params: slugParams,
    handler: async ({ actor, params }) => {
      const collective = await loadCollective(ctx.db, actor, params.slug, 'read');
      return { items: (await listMembers(ctx.db, collective.id)).map(presentMember) };
    },
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/collectives/:slug/members',
    summary: 'Invite a member by e-mail; a new account gets a one-time password, returned once',
    tags: ['members'],
    rateLimit: limit,
    params: slugParams,
    body: z.strictObject({ email: emailAddressSchema, role: z.enum(['admin', 'member']).default('member') }),
    handler: async ({ actor, params, body }) =>
      ctx.db.transaction(async (trx) => {
        const collective = await loadCollective(trx, actor, params.slug, 'manage');
        const { member, oneTimePassword } = await inviteMember(trx, actor, collective, {
          email: body.email.address,
          role: body.role,
        });
        return { ...presentMember(member), oneTimePassword: oneTimePassword ?? null };
      }),
  });

  defineRoute(router, ctx, {
    method: 'delete',
    path: '/collectives/:slug/members/:accountId',
    summary: 'Remove a member (never the last admin)',
    tags: ['members'],
    rateLimit: limit,
    params: z.strictObject({ slug: slugSchema, accountId: z.uuid() }),
    status: 204,
    handler: async ({ actor, params }) => {
      await ctx.db.transaction(async (trx) => {
        const collective = await loadCollective(trx, actor, params.slug, 'manage');
        await removeMember(trx, actor, collective, params.accountId);
      });
      return undefined;
    },
  });

  defineRoute(router, ctx, {
    method: 'get',
    path: '/collectives/:slug/tokens',
    summary: 'API tokens of a collective (never the secret)',
    tags: ['tokens'],
    params: slugParams,
    handler: async ({ actor, params }) => {
      const collective = await loadCollective(ctx.db, actor, params.slug, 'manage');
      return { items: (await listApiTokens(ctx.db, collective.id)).map(presentToken) };
    },
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/collectives/:slug/tokens',
    summary: 'Create an API token acting as an admin of this collective; the token is shown once',
    tags: ['tokens'],
    rateLimit: limit,
    params: slugParams,
    body: z.strictObject({ name: z.string().trim().min(1).max(100) }),
    handler: async ({ actor, params, body }) =>
      ctx.db.transaction(async (trx) => {
        const collective = await loadCollective(trx, actor, params.slug, 'manage');
        if (actor.type === 'token') {
          throw errors.forbidden(undefined, {
            fr: 'Un jeton ne peut pas créer d’autres jetons.',
            en: 'A token cannot create other tokens.',
          });
        }
        const { row, token } = await createApiToken(trx, {
          collectiveId: collective.id,
          name: body.name,
          createdBy: actor.type === 'account' ? actor.id : null,
        });
        await recordAudit(trx, actor, {
          action: 'token.create',
          targetType: 'api_token',
          targetId: row.id,
          collectiveId: collective.id,
          details: { name: row.name },
        });
        return { ...presentToken(row), token };
      }),
  });

  defineRoute(router, ctx, {
    method: 'delete',
    path: '/collectives/:slug/tokens/:id',
    summary: 'Revoke an API token',
    tags: ['tokens'],
    rateLimit: limit,
    params: z.strictObject({ slug: slugSchema, id: z.uuid() }),
    status: 204,
    handler: async ({ actor, params }) => {
      await ctx.db.transaction(async (trx) => {
        const collective = await loadCollective(trx, actor, params.slug, 'manage');
        const row = await revokeApiToken(trx, collective.id, params.id, ctx.now());
        if (!row) throw errors.notFound();
        await recordAudit(trx, actor, {
          action: 'token.revoke',
          targetType: 'api_token',
          targetId: row.id,
          collectiveId: collective.id,
          details: { name: row.name },
        });
      });
      return undefined;
    },
  });
}
