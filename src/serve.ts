import http from 'node:http';
import type { AppContext } from './context';
import type { Component } from './component';
import { createApp } from './api/app';
import { logger } from './logger';
import { dnsJobsComponent } from './dns/dns-jobs';
import { platformZoneComponent } from './dns/platform-zone';
import { inboundGatewayComponent } from './encryption/lmtp-gateway';
import { outboundGatewayComponent, relayProbeComponent, submissionMilterComponent } from './relay/components';
import { mailstackComponent } from './mailstack/component';
import { alertsComponent } from './alerts/component';
import { closeWebmail } from './mail/webmail-service';

export const httpComponent: Component = {
  name: 'http',
  async start(ctx) {
    const server = http.createServer(createApp(ctx));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ctx.config.http.port, ctx.config.http.host, resolve);
    });
    logger.info(
      { listen: `${ctx.config.http.host}:${ctx.config.http.port}` },
      'HTTP API, console and webmail',
    );
    return {
      async stop() {
        // Push streams and IMAP connections first, or the server would wait on them.
        await closeWebmail(ctx);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
      },
    };
  },
};

/** Started in this order, stopped in reverse. */
export const components: Component[] = [
  httpComponent,
  inboundGatewayComponent,
  outboundGatewayComponent,
  submissionMilterComponent,
  relayProbeComponent,
  platformZoneComponent,
  dnsJobsComponent,
  alertsComponent,
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
