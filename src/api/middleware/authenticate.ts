import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Actor } from '../../auth/actor';
import type { AppContext } from '../../context';
import { errors } from '../../errors';
import { resolveSession } from '../../auth/sessions';
import { resolveApiToken } from '../../auth/api-tokens';

export const SESSION_COOKIE = 'giroflee_session';
export const CSRF_HEADER = 'x-giroflee-csrf';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Finds the actor from a Bearer API token or the session cookie and puts it in res.locals.
 * A cookie-authenticated request that changes something must carry X-Giroflee-CSRF: a custom
 * header cannot be sent cross-site without a CORS preflight, which we never grant; together
 * with SameSite=Strict this closes CSRF.
 */
export function authenticate(ctx: AppContext): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const header = req.headers.authorization;
      if (header) {
        const match = /^Bearer\s+(\S+)$/i.exec(header);
        if (!match) throw errors.unauthenticated();
        const actor = await resolveApiToken(ctx, match[1]);
        if (!actor) throw errors.unauthenticated();
        res.locals.actor = actor;
        return next();
      }
      const cookie = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
      if (cookie) {
        const actor = await resolveSession(ctx, cookie);
        if (actor) {
          if (!SAFE.has(req.method) && req.headers[CSRF_HEADER] !== '1') {
            throw errors.forbidden(undefined, {
              fr: 'En-tête X-Giroflee-CSRF manquant.',
              en: 'Missing X-Giroflee-CSRF header.',
            });
          }
          res.locals.actor = actor;
        }
      }
      next();
    } catch (e) {
      next(e);
    }
  };
}

export const requireActor: RequestHandler = (_req, res, next) => {
  if (!res.locals.actor) return next(errors.unauthenticated());
  next();
};

/**
 * An account logged in with a one-time password, or a mailbox whose password an admin reset,
 * must change it before anything else.
 */
export const requirePasswordChanged: RequestHandler = (_req, res, next) => {
  const actor = res.locals.actor as Actor | undefined;
  if (actor?.type === 'account' && actor.mustChangePassword) {
    return next(errors.passwordChangeRequired());
  }
  if (actor?.type === 'mailbox' && actor.mustChangePassword) {
    return next(
      errors.passwordChangeRequired(undefined, {
        fr: 'Choisissez d’abord votre mot de passe (POST /api/v1/mailboxes/<adresse>/password) : un administrateur l’a réinitialisé.',
        en: 'Choose your password first (POST /api/v1/mailboxes/<address>/password): an admin reset it.',
      }),
    );
  }
  next();
};
