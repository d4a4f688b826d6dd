import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../auth/actor';
import type { AppContext, CommandContext, ServiceContext } from '../context';
import { runInTransaction } from '../db/transaction';
import { validationError } from '../errors';
import { registry } from './openapi';
import { requireActor, requirePasswordChanged } from './middleware/authenticate';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Schema = z.ZodType;

/** What a handler is given: the actor is in `ctx` (absent on a public route without a session). */
export interface RouteInput<P extends Schema, Q extends Schema, B extends Schema, A extends boolean> {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
  ctx: A extends false ? ServiceContext & { actor?: Actor } : CommandContext;
  /**
   * For a route declared `transaction: false` whose slow work (DNS) comes first: runs the
   * command that follows in its own transaction, committed before the answer.
   */
  inTransaction<T>(fn: (ctx: CommandContext) => Promise<T>): Promise<T>;
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
  /**
   * Run the handler in one transaction, committed before the answer is sent. Default: true for
   * every method but GET. False where a failure must still leave a write behind (a failed login
   * counts against the throttle), or where slow lookups (DNS) come first and must hold no
   * connection: the handler then runs its command with `inTransaction`.
   */
  transaction?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  status?: number;
  response?: Schema;
  /** Returns the JSON body; undefined answers 204 unless the handler answered itself. */
  handler: (input: RouteInput<P, Q, B, A>) => Promise<unknown>;
}

function parseOrThrow<S extends Schema>(schema: S | undefined, value: unknown, where: string): z.output<S> {
  if (!schema) return value as z.output<S>;
  // The input in each issue lets zod say what it received (in French too); validationError
  // never copies it into the answer.
  const result = schema.safeParse(value ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw validationError(result.error, where);
}

/**
 * A route is a chain: rate limit → authenticate → validate → transaction → handler. The handler
 * loads its subject (findXForActor), calls one command (or a read), and presents the result.
 * The same definition feeds the OpenAPI document.
 */
export function defineRoute<
  P extends Schema = z.ZodObject,
  Q extends Schema = z.ZodObject,
  B extends Schema = z.ZodObject,
  A extends boolean = true,
>(router: Router, app: AppContext, spec: RouteSpec<P, Q, B, A>): void {
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
  const transactional = spec.transaction ?? spec.method !== 'get';
  chain.push(async (req, res, next) => {
    try {
      const input = {
        params: parseOrThrow(spec.params, req.params, 'path'),
        query: parseOrThrow(spec.query, req.query, 'query'),
        body: parseOrThrow(spec.body, req.body, 'body'),
        req,
        res,
      };
      const base = { ...app, actor: res.locals.actor as Actor | undefined };
      const inTransaction = <T>(fn: (ctx: CommandContext) => Promise<T>) =>
        runInTransaction(base, (ctx) => fn(ctx as CommandContext));
      const run = (ctx: ServiceContext & { actor?: Actor }) =>
        spec.handler({ ...input, ctx, inTransaction } as RouteInput<P, Q, B, A>);
      const result = await (transactional ? runInTransaction(base, run) : run(base));
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
