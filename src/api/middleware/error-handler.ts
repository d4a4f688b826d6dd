import type { ErrorRequestHandler, Request } from 'express';
import { AppError, errors } from '../../errors';
import { presentError } from '../../db/pg-errors';
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
    const error = presentError(fromExpress(e) ?? e, preferredLanguage(req), development);
    if (error.status === 500) logger.error({ err: e, method: req.method, path: req.path }, 'unhandled error');
    const retry = (error.details as { retryAfterSeconds?: number } | null)?.retryAfterSeconds;
    if (error.status === 429 && retry) res.setHeader('Retry-After', String(retry));
    res.status(error.status).json({
      error: { code: error.code, message: error.message, details: error.details },
    });
  };
}
