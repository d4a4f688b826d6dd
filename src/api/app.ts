import express, { Router } from 'express';
import cookieParser from 'cookie-parser';
import type { AppContext } from '../context';
import { errors } from '../errors';
import { accessLog, routeBase } from './middleware/access-log';
import { authenticate } from './middleware/authenticate';
import { errorHandler } from './middleware/error-handler';
import { openApiDocument } from './openapi';
import { apiRoutes, rootRoutes } from './routes';
import { mountWebApp } from './web-app';

export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // The client address only ever keys the in-memory throttles; it is never logged or stored.
  app.set('trust proxy', ctx.config.trustProxy);
  app.use(accessLog());
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });

  for (const mount of rootRoutes) mount(app, ctx);

  const api = Router();
  api.use(routeBase('/api/v1'));
  api.use(express.json({ limit: '256kb', strict: true }));
  api.use(cookieParser());
  api.use(authenticate(ctx));
  for (const mount of apiRoutes) mount(api, ctx);
  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  api.use((_req, _res, next) => next(errors.notFound()));
  app.use('/api/v1', api);
  mountWebApp(app);

  app.use(errorHandler(ctx.config.development));
  return app;
}
