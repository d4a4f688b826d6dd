import http from 'node:http';
import type { AppContext } from './context';
import type { Component } from './component';
import { webLink } from './config';
import { createApp } from './api/app';
import { createMetricsApp } from './api/metrics-app';
import type { Endpoint } from './config';
import { watchProcess, type PoolStats } from './metrics/metrics';
import { logger } from './logger';
import { dnsJobsComponent } from './dns/dns-jobs';
import { platformZoneComponent } from './dns/platform-zone';
import { inboundGatewayComponent } from './encryption/lmtp-gateway';
import { outboundGatewayComponent, relayProbeComponent, submissionMilterComponent } from './relay/components';
import { sendingPolicyComponent } from './sending/component';
import { mailstackComponent } from './mailstack/component';
import { alertsComponent } from './alerts/component';
import { closeWebmail } from './mail/webmail-service';
import { monitoringComponent } from './monitoring/component';
import { retentionComponent } from './retention/retention-job';

/** An HTTP server for `app` on `at`, and how to stop it. */
async function listenHttp(app: http.RequestListener, at: Endpoint): Promise<{ stop(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, resolve);
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
import { quotaWarningsComponent } from './quota/quota-warning-job';

export const httpComponent: Component = {
  name: 'http',
  async start(ctx) {
    const server = await listenHttp(createApp(ctx), ctx.config.http);
    logger.info(
      {
        listen: `${ctx.config.http.host}:${ctx.config.http.port}`,
        console: webLink(ctx.config, '/console'),
        webmail: webLink(ctx.config, '/mail'),
        api: webLink(ctx.config, '/api/v1'),
      },
      `HTTP API, console and webmail: log in at ${webLink(ctx.config, '/login')}`,
    );
    return {
      async stop() {
        // Push streams and IMAP connections first, or the server would wait on them.
        await closeWebmail(ctx);
        await server.stop();
      },
    };
  },
};

/**
 * Prometheus metrics: the process's own and its PostgreSQL pool's, plus what every module counts;
 * on their own listener (GIROFLEE_METRICS_LISTEN) and, with a token, on the API's too.
 */
export const metricsComponent: Component = {
  name: 'metrics',
  async start(ctx) {
    watchProcess((ctx.db.client as { pool?: PoolStats }).pool);
    const at = ctx.config.metrics.listen;
    if (!at) return { stop: async () => undefined };
    const server = await listenHttp(createMetricsApp(ctx.config), at);
    logger.info({ listen: `${at.host}:${at.port}` }, 'Prometheus metrics');
    return server;
  },
};

/** Started in this order, stopped in reverse. */
export const components: Component[] = [
  metricsComponent,
  httpComponent,
  inboundGatewayComponent,
  outboundGatewayComponent,
  submissionMilterComponent,
  sendingPolicyComponent,
  relayProbeComponent,
  platformZoneComponent,
  dnsJobsComponent,
  alertsComponent,
  monitoringComponent,
  retentionComponent,
  quotaWarningsComponent,
  // Last: Postfix finds the gateways listening; stopped first, so nothing is handed to a stopped gateway.
  mailstackComponent,
];

export async function startComponents(
  ctx: AppContext,
  list: Component[] = components,
): Promise<() => Promise<void>> {
  const started: Array<{ name: string; stop(): Promise<void> }> = [];
  try {
    for (const c of list) {
      if (c.enabled && !c.enabled(ctx)) continue;
      started.push({ name: c.name, ...(await c.start(ctx)) });
    }
  } catch (e) {
    await stopAll(started);
    throw e;
  }
  return () => stopAll(started);
}

async function stopAll(started: Array<{ name: string; stop(): Promise<void> }>): Promise<void> {
  for (const c of [...started].reverse()) {
    try {
      await c.stop();
    } catch (e) {
      logger.error({ err: e, component: c.name }, 'component did not stop cleanly');
    }
  }
}
