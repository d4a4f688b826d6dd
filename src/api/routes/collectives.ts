import type { Router } from 'express';
import { z } from 'zod';
import { listApiTokens, presentApiToken } from '../../auth/api-tokens';
import {
  findCollectiveForActor,
  listCollectives,
  presentCollective,
  slugSchema,
} from '../../collectives/collectives';
import { changeMemberRole } from '../../collectives/commands/change-member-role';
import { createApiToken } from '../../collectives/commands/create-api-token';
import { createCollective } from '../../collectives/commands/create-collective';
import { deleteCollective } from '../../collectives/commands/delete-collective';
import { inviteMember } from '../../collectives/commands/invite-member';
import { removeMember } from '../../collectives/commands/remove-member';
import { revokeApiToken } from '../../collectives/commands/revoke-api-token';
import { suspendCollective } from '../../collectives/commands/suspend-collective';
import { endCollectiveSessions } from '../../collectives/end-collective-sessions';
import { updateCollective } from '../../collectives/commands/update-collective';
import { listInvitations, presentInvitation } from '../../collectives/invitations';
import { listMembers, presentMember } from '../../collectives/members';
import { revokeInvitation } from '../../collectives/commands/revoke-invitation';
import type { AppContext } from '../../context';
import { displayTextSchema } from '../../names/display-text';
import { emailAddressSchema } from '../../names/email-address';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { slugParams } from '../params';

const collectiveName = displayTextSchema(200);

/** An invitation as its collective's admins and the invited person see it. */
export const invitation = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(['admin', 'member']),
  createdAt: z.string(),
  expiresAt: z.string(),
  collective: z.object({ slug: z.string(), name: z.string() }).optional(),
});

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
    method: 'put',
    path: '/collectives/:slug/suspension',
    summary:
      'Racine: suspend a collective, or lift it, with a reason (audited). Mail to its domains is still received and stored; its accounts, tokens and mailboxes cannot log in (console, webmail, IMAP, submission), their open sessions are ended (`sessions` says whether Dovecot did) and nothing leaves in their name (submission, vacation replies, Sieve redirects)',
    tags: ['collectives'],
    rateLimit: limit,
    params: slugParams,
    body: z.strictObject({ suspended: z.boolean(), reason: displayTextSchema(500) }),
    // The suspension commits first; then the sessions its mailboxes have open are ended, and
    // the answer says whether they all were (`sessions`).
    transaction: false,
    handler: async ({ ctx, params, body, inTransaction }) => {
      const row = await inTransaction(async (tx) =>
        suspendCollective(tx, await findCollectiveForActor(tx, params.slug, 'read'), body),
      );
      if (!body.suspended) return presentCollective(row);
      return { ...presentCollective(row), sessions: await endCollectiveSessions(ctx, row) };
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
    path: '/collectives/:slug/invitations',
    summary:
      'Invite someone by e-mail (accounts, not tokens): the person accepts, logged in or with the code mailed to the address; the same answer whether or not the address has an account',
    tags: ['members'],
    rateLimit: limit,
    params: slugParams,
    body: z.strictObject({ email: emailAddressSchema, role: z.enum(['admin', 'member']).default('member') }),
    response: invitation,
    handler: async ({ ctx, params, body }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'read');
      const { invitation: row } = await inviteMember(ctx, collective, {
        email: body.email.address,
        role: body.role,
      });
      return presentInvitation(row);
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/collectives/:slug/invitations',
    summary: 'Pending invitations of a collective (never their codes)',
    tags: ['members'],
    params: slugParams,
    response: z.object({ items: z.array(invitation) }),
    handler: async ({ ctx, params }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'manage');
      return { items: (await listInvitations(ctx, collective.id)).map(presentInvitation) };
    },
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/collectives/:slug/invitations/:id',
    summary: 'Withdraw a pending invitation',
    tags: ['members'],
    rateLimit: limit,
    params: z.strictObject({ slug: slugSchema, id: z.uuid() }),
    status: 204,
    handler: async ({ ctx, params }) => {
      await revokeInvitation(ctx, await findCollectiveForActor(ctx, params.slug, 'read'), params.id);
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'patch',
    path: '/collectives/:slug/members/:accountId',
    summary: 'Change a member’s role (admin or member); a collective always keeps one admin',
    tags: ['members'],
    rateLimit: limit,
    params: z.strictObject({ slug: slugSchema, accountId: z.uuid() }),
    body: z.strictObject({ role: z.enum(['admin', 'member']) }),
    handler: async ({ ctx, params, body }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'read');
      return presentMember(await changeMemberRole(ctx, collective, params.accountId, body.role));
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
