import { rateLimit } from 'express-rate-limit';
import { errors } from '../../errors';

/**
 * Per-client request budgets, counted in this process's memory only (client addresses are
 * never written anywhere). Answers 429 in the API's error format.
 */
export function limiter(perMinute: number) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(errors.rateLimited({ retryAfterSeconds: 60 })),
  });
}

export const loginLimiter = () => limiter(30);
export const mutationLimiter = () => limiter(300);
