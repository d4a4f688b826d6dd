import type { Router } from 'express';
import { z } from 'zod';
import { presentAccount } from '../../accounts/accounts';
import { accountOnly } from '../../auth/actor';
import {
  acceptInvitation,
  declineInvitation,
  joinWithInvitation,
} from '../../collectives/commands/answer-invitation';
import { invitationsForEmail, presentInvitation } from '../../collectives/invitations';
import type { AppContext } from '../../context';
import { defineRoute } from '../define-route';
import { loginLimiter, mutationLimiter } from '../middleware/rate-limit';
import { idParams } from '../params';
import { invitation } from './collectives';

/** The invited person's side: see, accept or decline; or join with the mailed code. */
export function mountInvitations(router: Router, app: AppContext): void {
  defineRoute(router, app, {
    method: 'get',
    path: '/me/invitations',
    summary: 'Invitations waiting for my account (addressed to its e-mail)',
    tags: ['members'],
    response: z.object({ items: z.array(invitation) }),
    handler: async ({ ctx }) => {
      const account = accountOnly(ctx.actor);
      return { items: (await invitationsForEmail(ctx, account.email)).map(presentInvitation) };
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/me/invitations/:id/accept',
    summary: 'Accept an invitation addressed to my account: I join the collective with its role',
    tags: ['members'],
    rateLimit: mutationLimiter(),
    params: idParams,
    status: 200,
    response: invitation,
    handler: async ({ ctx, params }) => presentInvitation(await acceptInvitation(ctx, params.id)),
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/me/invitations/:id',
    summary: 'Decline an invitation addressed to my account',
    tags: ['members'],
    rateLimit: mutationLimiter(),
    params: idParams,
    status: 204,
    handler: async ({ ctx, params }) => {
      await declineInvitation(ctx, params.id);
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/invitations/accept',
    summary:
      'No account yet: the code mailed to the invited address and a password of my choice create my account, which joins the collective',
    tags: ['members'],
    auth: false,
    rateLimit: loginLimiter(),
    body: z.strictObject({ code: z.string().min(1).max(200), password: z.string().min(1).max(1024) }),
    response: z.object({ account: z.object({ id: z.uuid(), email: z.string() }), invitation }),
    handler: async ({ ctx, body }) => {
      const { account, invitation: joined } = await joinWithInvitation(ctx, body);
      return { account: presentAccount(account), invitation: presentInvitation(joined) };
    },
  });
}
