import type { Router } from 'express';
import { z } from 'zod';
import { getAccount } from '../../accounts/accounts';
import { beginTotp } from '../../accounts/commands/begin-totp';
import { changeAccountPassword } from '../../accounts/commands/change-account-password';
import { confirmTotp } from '../../accounts/commands/confirm-totp';
import { disableTotp } from '../../accounts/commands/disable-totp';
import { resetTotp } from '../../accounts/commands/reset-totp';
import type { Actor } from '../../auth/actor';
import { logIn } from '../../auth/login';
import { LoginThrottle } from '../../auth/login-throttle';
import { revokeSession } from '../../auth/sessions';
import { membershipsOf } from '../../collectives/members';
import type { AppContext, ServiceContext } from '../../context';
import { defineRoute } from '../define-route';
import { SESSION_COOKIE } from '../middleware/authenticate';
import { loginLimiter, mutationLimiter } from '../middleware/rate-limit';
import { idParams } from '../params';
import { endWebmailSession, warmWebmailSession } from '../../mail/webmail-service';

export async function presentMe(ctx: ServiceContext, actor: Actor) {
  switch (actor.type) {
    case 'mailbox':
      return {
        type: 'mailbox',
        id: actor.id,
        address: actor.address,
        mustChangePassword: actor.mustChangePassword ?? false,
      };
    case 'token':
      return { type: 'token', id: actor.id, name: actor.name };
    case 'system':
      return { type: 'system', label: actor.label };
    case 'recovery':
      return { type: 'recovery', address: actor.address };
    case 'account': {
      const account = await getAccount(ctx, actor.id);
      return {
        type: 'account',
        id: actor.id,
        email: actor.email,
        racine: actor.racine,
        mustChangePassword: account?.must_change_password ?? false,
        totpEnabled: account?.totp_enabled ?? false,
        memberships: await membershipsOf(ctx, actor.id),
      };
    }
  }
}

const totpCode = z.string().regex(/^\d{6}$/, 'a 6-digit code');

export function mountSession(router: Router, app: AppContext): void {
  const throttle = new LoginThrottle();

  defineRoute(router, app, {
    method: 'post',
    path: '/session',
    summary:
      'Log in (console account or mailbox; `kind` picks one when both share the address); sets an httpOnly SameSite=Strict session cookie',
    tags: ['session'],
    auth: false,
    rateLimit: loginLimiter(),
    // A failed attempt must stay counted by the throttle, so nothing here may roll back.
    transaction: false,
    body: z.strictObject({
      login: z.string().min(1).max(320),
      password: z.string().min(1).max(1024),
      totp: totpCode.optional(),
      kind: z.enum(['account', 'mailbox']).optional(),
    }),
    status: 200,
    handler: async ({ ctx, body, req, res }) => {
      // The client address is used as an in-memory throttle key only, never stored or logged.
      const session = await logIn(ctx, throttle, body, req.ip ?? 'unknown');
      const { actor } = session;
      if (actor.type === 'mailbox' && actor.sessionId && !actor.mustChangePassword) {
        warmWebmailSession(app, { sessionId: actor.sessionId, address: actor.address });
      }
      res.cookie(SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.config.secureCookies,
        path: '/',
        expires: session.expiresAt,
      });
      return { expiresAt: session.expiresAt, me: await presentMe(ctx, session.actor) };
    },
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/session',
    beforePasswordChange: true,
    summary: 'Log out: revokes the current session',
    tags: ['session'],
    handler: async ({ ctx, res }) => {
      const { actor } = ctx;
      if ((actor.type === 'account' || actor.type === 'mailbox') && actor.sessionId) {
        await revokeSession(ctx, actor.sessionId);
        await endWebmailSession(ctx, actor.sessionId);
      }
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/me',
    beforePasswordChange: true,
    summary: 'Who am I: account, memberships and roles',
    tags: ['session'],
    handler: async ({ ctx }) => presentMe(ctx, ctx.actor),
  });

  defineRoute(router, app, {
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
    handler: async ({ ctx, body }) => {
      await changeAccountPassword(ctx, body);
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/me/totp',
    summary: 'Start two-factor enrolment: returns a new TOTP secret and otpauth URI, once',
    tags: ['session'],
    rateLimit: mutationLimiter(),
    handler: async ({ ctx }) => beginTotp(ctx),
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/me/totp/confirm',
    summary: 'Confirm two-factor enrolment with a current code',
    tags: ['session'],
    rateLimit: loginLimiter(),
    body: z.strictObject({ code: totpCode }),
    status: 204,
    handler: async ({ ctx, body }) => {
      await confirmTotp(ctx, body.code);
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/me/totp',
    summary: 'Turn off my two-factor authentication (current code required)',
    tags: ['session'],
    rateLimit: loginLimiter(),
    body: z.strictObject({ code: totpCode }),
    status: 204,
    handler: async ({ ctx, body }) => {
      await disableTotp(ctx, body.code);
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/accounts/:id/totp',
    summary: 'Racine: reset the two-factor authentication of another account',
    tags: ['accounts'],
    rateLimit: mutationLimiter(),
    params: idParams,
    status: 204,
    handler: async ({ ctx, params }) => {
      await resetTotp(ctx, params.id);
      return undefined;
    },
  });
}
