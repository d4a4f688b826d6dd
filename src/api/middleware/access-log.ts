import type { Request, RequestHandler } from 'express';
import { logger } from '../../logger';
import { httpMetrics } from '../../metrics/metrics';

/**
 * The route template that answered (`/api/v1/mailboxes/:address`), never the path itself, which
 * may hold a mail address or a token. Requests no route took (static files, the web app, 404s)
 * share one label each, so nobody's input becomes a metric label.
 */
function routeOf(req: Request, base: string | undefined, status: number): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return `${base ?? ''}${path}`;
  return status === 404 ? '(not found)' : '(static)';
}

/**
 * One log line and one histogram sample per HTTP request: method, route template, status and
 * latency. Never the client's address, the path, the query or a header: the operators asked
 * that no IP address and no mail address be kept.
 */
export function accessLog(): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req, res.locals.routeBase as string | undefined, res.statusCode);
      const status = String(res.statusCode);
      httpMetrics.duration.observe({ method: req.method, route, status }, seconds);
      logger.info(
        { method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 },
        'http',
      );
    });
    next();
  };
}

/** Marks the requests of a router mounted at `base`, so their template carries it after an error left the router. */
export function routeBase(base: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.routeBase = base;
    next();
  };
}
