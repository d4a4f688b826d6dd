import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../auth/actor';
import type { AppContext } from '../context';
import { errors } from '../errors';
import { registry } from './openapi';
import { requireActor, requirePasswordChanged } from './middleware/authenticate';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Schema = z.ZodType;

export interface RouteInput<P extends Schema, Q extends Schema, B extends Schema> {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
  ctx: AppContext;
  req: Request;
  res: Response;
}

export interface RouteSpec<P extends Schema, Q extends Schema, B extends Schema, A extends boolean> {
  method: Method;
  /** Express form (`/domains/:name`), relative to /api/v1. */
  path: string;
  summary: string;
  tags: string[];
  /** false for the few public endpoints (login, health). Default true. */
  auth?: A;
  /** Reachable while the account still has its one-time password (read self, change it, log out). */
  beforePasswordChange?: boolean;
  rateLimit?: RequestHandler;
  params?: P;
  query?: Q;
  body?: B;
  status?: number;
  response?: Schema;
  /** Returns the JSON body; undefined answers 204 unless the handler answered itself. */
  handler: (
    input: RouteInput<P, Q, B> & { actor: A extends false ? Actor | undefined : Actor },
  ) => Promise<unknown>;
}

function parseOrThrow<S extends Schema>(schema: S | undefined, value: unknown, where: string): z.output<S> {
  if (!schema) return value as z.output<S>;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw errors.validation({
    in: where,
    issues: result.error.issues.map((i) => ({
      path: i.path.join('.'),
      code: (i as { params?: { code?: string } }).params?.code ?? i.code,
      message: i.message,
      fr: (i as { params?: { fr?: string } }).params?.fr,
    })),
  });
}

/**
 * A route is a chain: rate limit → authenticate → validate → handler. The handler loads its
 * subject, calls authorize(), then a service. The same definition feeds the OpenAPI document.
 */
export function defineRoute<
  P extends Schema = z.ZodObject,
  Q extends Schema = z.ZodObject,
  B extends Schema = z.ZodObject,
  A extends boolean = true,
>(router: Router, ctx: AppContext, spec: RouteSpec<P, Q, B, A>): void {
  const status = spec.status ?? (spec.method === 'post' ? 201 : 200);
  registry.registerPath({
    method: spec.method,
    path: spec.path.replace(/:([A-Za-z]+)/g, '{$1}'),
    summary: spec.summary,
    tags: spec.tags,
    request: {
      params: spec.params as z.ZodObject | undefined,
      query: spec.query as z.ZodObject | undefined,
      body: spec.body ? { content: { 'application/json': { schema: spec.body } } } : undefined,
    },
    responses: {
      [status]: {
        description: 'Success',
        content: spec.response ? { 'application/json': { schema: spec.response } } : undefined,
      },
      default: { description: 'Error: {"error":{"code","message","details"}}' },
    },
  });

  const chain: RequestHandler[] = [];
  if (spec.rateLimit) chain.push(spec.rateLimit);
  if (spec.auth !== false) chain.push(requireActor);
  if (!spec.beforePasswordChange) chain.push(requirePasswordChanged);
  chain.push(async (req, res, next) => {
    try {
      const input = {
        params: parseOrThrow(spec.params, req.params, 'path'),
        query: parseOrThrow(spec.query, req.query, 'query'),
        body: parseOrThrow(spec.body, req.body, 'body'),
        ctx,
        req,
        res,
        actor: res.locals.actor as Actor,
      };
      const result = await spec.handler(input as Parameters<typeof spec.handler>[0]);
      if (result === undefined) {
        if (!res.headersSent) res.status(204).end();
        return;
      }
      res.status(status).json(result);
    } catch (e) {
      next(e);
    }
  });
  router[spec.method](spec.path, ...chain);
}
