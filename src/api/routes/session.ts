import type { Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../../auth/actor';
import { LoginThrottle } from '../../auth/login-throttle';
import { checkLogin } from '../../auth/login';
import { createSession, resolveSession, revokeSession } from '../../auth/sessions';
import { authorize } from '../../auth/authorize';
import {
  beginTotp,
  changeAccountPassword,
  confirmTotp,
  disableOwnTotp,
  getAccount,
  resetTotp,
} from '../../accounts/accounts';
import type { AppContext } from '../../context';
import { errors } from '../../errors';
import { defineRoute } from '../define-route';
import { SESSION_COOKIE } from '../middleware/authenticate';
import { loginLimiter, mutationLimiter } from '../middleware/rate-limit';

function accountActor(actor: Actor): Actor & { type: 'account' } {
  if (actor.type !== 'account') {
    throw errors.forbidden(undefined, {
      fr: 'Réservé aux comptes de la console.',
      en: 'Only for console accounts.',
    });
  }
  return actor;
}

export async function presentMe(ctx: AppContext, actor: Actor) {
  if (actor.type === 'mailbox') return { type: 'mailbox', id: actor.id, address: actor.address };
  if (actor.type === 'token') return { type: 'token', id: actor.id, name: actor.name };
  if (actor.type === 'system') return { type: 'system', label: actor.label };
  const account = await getAccount(ctx.db, actor.id);
  const memberships = await ctx
    .db('memberships as m')
    .join('collectives as c', 'c.id', 'm.collective_id')
    .where('m.account_id', actor.id)
    .orderBy('c.slug')
    .select('c.slug', 'c.name', 'm.role');
  return {
    type: 'account',
    id: actor.id,
    email: actor.email,
    racine: actor.racine,
    mustChangePassword: account?.must_change_password ?? false,
    totpEnabled: account?.totp_enabled ?? false,
    memberships,
  };
}

const totpCode = z.string().regex(/^\d{6}$/, 'a 6-digit code');

export function mountSession(router: Router, ctx: AppContext): void {
  const throttle = new LoginThrottle(ctx.db);

  defineRoute(router, ctx, {
    method: 'post',
    path: '/session',
    summary: 'Log in (console account or mailbox); sets an httpOnly SameSite=Strict session cookie',
    tags: ['session'],
    auth: false,
    rateLimit: loginLimiter(),
    body: z.strictObject({
      login: z.string().min(1).max(320),
      password: z.string().min(1).max(1024),
      totp: totpCode.optional(),
    }),
    status: 200,
    handler: async ({ body, req, res }) => {
      // The client address is used as an in-memory throttle key only, never stored or logged.
      const subject = await checkLogin(ctx, throttle, body, req.ip ?? 'unknown');
      const session = await createSession(ctx.db, subject, ctx.now(), ctx.config.sessionHours);
      res.cookie(SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.config.secureCookies,
        path: '/',
        expires: session.expiresAt,
      });
      const actor = await resolveSession(ctx.db, session.token, ctx.now());
      return { expiresAt: session.expiresAt, me: await presentMe(ctx, actor as Actor) };
    },
  });

  defineRoute(router, ctx, {
    method: 'delete',
    path: '/session',
    beforePasswordChange: true,
    summary: 'Log out: revokes the current session',
    tags: ['session'],
    handler: async ({ actor, res }) => {
      if ((actor.type === 'account' || actor.type === 'mailbox') && actor.sessionId) {
        await revokeSession(ctx.db, actor.sessionId, ctx.now());
      }
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.status(204).end();
      return undefined;
    },
  });

  defineRoute(router, ctx, {
    method: 'get',
    path: '/me',
    beforePasswordChange: true,
    summary: 'Who am I: account, memberships and roles',
    tags: ['session'],
    handler: async ({ actor }) => presentMe(ctx, actor),
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/me/password',
    beforePasswordChange: true,
    summary: 'Change my console password (current password required); closes my other sessions',
    tags: ['session'],
    rateLimit: loginLimiter(),
    body: z.strictObject({
      currentPassword: z.string().min(1).max(1024),
      newPassword: z.string().min(1).max(1024),
    }),
    status: 204,
    handler: async ({ actor, body }) => {
      const account = accountActor(actor);
      await ctx.db.transaction((trx) => changeAccountPassword(ctx, trx, account, body));
      return undefined;
    },
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/me/totp',
    summary: 'Start two-factor enrolment: returns a new TOTP secret and otpauth URI, once',
    tags: ['session'],
    rateLimit: mutationLimiter(),
    handler: async ({ actor }) => ctx.db.transaction((trx) => beginTotp(ctx, trx, accountActor(actor))),
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/me/totp/confirm',
    summary: 'Confirm two-factor enrolment with a current code',
    tags: ['session'],
    rateLimit: loginLimiter(),
    body: z.strictObject({ code: totpCode }),
    status: 204,
    handler: async ({ actor, body }) => {
      await ctx.db.transaction((trx) => confirmTotp(ctx, trx, accountActor(actor), body.code));
      return undefined;
    },
  });

  defineRoute(router, ctx, {
    method: 'delete',
    path: '/me/totp',
    summary: 'Turn off my two-factor authentication (current code required)',
    tags: ['session'],
    rateLimit: loginLimiter(),
    body: z.strictObject({ code: totpCode }),
    status: 204,
    handler: async ({ actor, body }) => {
      await ctx.db.transaction((trx) => disableOwnTotp(ctx, trx, accountActor(actor), body.code));
      return undefined;
    },
  });

  defineRoute(router, ctx, {
    method: 'delete',
    path: '/accounts/:id/totp',
    summary: 'Racine: reset the two-factor authentication of another account',
    tags: ['accounts'],
    rateLimit: mutationLimiter(),
    params: z.strictObject({ id: z.uuid() }),
    status: 204,
    handler: async ({ actor, params }) => {
      authorize(actor, 'manage', { type: 'platform' });
      await ctx.db.transaction((trx) => resetTotp(ctx, trx, actor, params.id));
      return undefined;
    },
  });
}
