import crypto from 'node:crypto';
import type { Express, RequestHandler } from 'express';
import type { AppContext } from '../../context';
import { errors } from '../../errors';
import { metricsText } from '../../metrics/metrics';

/** Compares in constant time, so the answer's timing says nothing about the token. */
function sameToken(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/** GET /metrics in the Prometheus text format, behind the bearer token when one is configured. */
export function metricsHandler(token: string | undefined): RequestHandler {
  return async (req, res, next) => {
    if (token) {
      const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
      if (!given || !sameToken(given, token)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        return next(errors.unauthenticated());
      }
    }
    try {
      const { contentType, text } = await metricsText();
      res.setHeader('Content-Type', contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.send(text);
    } catch (e) {
      next(e);
    }
  };
}

/**
 * /metrics on the API's listener only with a token (GIROFLEE_METRICS_TOKEN): the API is what a
 * reverse proxy publishes, and the metrics say how busy each relay and route is. Without a
 * token they are on their own loopback listener only (GIROFLEE_METRICS_LISTEN).
 */
export function mountMetrics(app: Express, ctx: AppContext): void {
  if (ctx.config.metrics.token) app.get('/metrics', metricsHandler(ctx.config.metrics.token));
}
