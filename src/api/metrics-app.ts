import express from 'express';
import type { Config } from '../config';
import { errors } from '../errors';
import { errorHandler } from './middleware/error-handler';
import { metricsHandler } from './routes/metrics';

/** The metrics listener's app: /metrics and nothing else, so it can be opened to Prometheus alone. */
export function createMetricsApp(config: Config): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(config.metrics.token));
  app.use((_req, _res, next) => next(errors.notFound()));
  app.use(errorHandler(config.development));
  return app;
}
