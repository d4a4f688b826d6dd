import type { ErrorRequestHandler, Request } from 'express';
import { AppError, errors } from '../../errors';
import { toAppError } from '../../db/pg-errors';
import { logger } from '../../logger';

/** French by default; English when the client prefers it. */
export function preferredLanguage(req: Request): 'fr' | 'en' {
  return req.acceptsLanguages('fr', 'en') === 'en' ? 'en' : 'fr';
}

function fromExpress(e: unknown): AppError | undefined {
  const type = (e as { type?: string }).type;
  if (type === 'entity.too.large') return errors.tooLarge();
  if (type === 'entity.parse.failed') {
    return errors.badRequest('malformed_json', { fr: 'Corps JSON illisible.', en: 'Malformed JSON body.' });
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return errors.badRequest('unsupported_encoding', {
      fr: 'Encodage non pris en charge.',
      en: 'Unsupported encoding.',
    });
  }
  return undefined;
}

/** The one error handler: `{"error":{"code","message","details"}}`; unknown errors are a bare 500. */
export function errorHandler(development: boolean): ErrorRequestHandler {
  return (e, req, res, _next) => {
    const known = toAppError(e) ?? fromExpress(e);
    if (known) {
      if (known.status === 429 && known.details && typeof known.details === 'object') {
        const retry = (known.details as { retryAfterSeconds?: number }).retryAfterSeconds;
        if (retry) res.setHeader('Retry-After', String(retry));
      }
      res.status(known.status).json({
        error: {
          code: known.code,
          message: known.text[preferredLanguage(req)],
          details: known.details ?? null,
        },
      });
      return;
    }
    logger.error({ err: e, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({
      error: {
        code: 'internal',
        message: preferredLanguage(req) === 'en' ? 'Internal error.' : 'Erreur interne.',
        details: development ? { message: String((e as Error)?.message ?? e) } : null,
      },
    });
  };
}
