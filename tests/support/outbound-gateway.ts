import type { AppContext } from '../../src/context';
import { getSigningKeys } from '../../src/dns/dkim-keys';
import { startPlatformOutboundGateway } from '../../src/relay/components';
import { loadRoutingTargets } from '../../src/relay/routing-targets';

/**
 * The platform's outbound gateway on a free loopback port. It reads relays and DKIM keys afresh
 * for every message, so that a test's change applies at once (the platform caches them for
 * two seconds), and gives a relay `relayTimeoutMs` to connect and greet (four times that for the
 * rest of the exchange).
 */
export function startTestOutboundGateway(ctx: AppContext, relayTimeoutMs = 5000) {
  return startPlatformOutboundGateway(
    {
      ...ctx,
      config: {
        ...ctx.config,
        outbound: { host: '127.0.0.1', port: 0 },
        relay: { ...ctx.config.relay, timeoutMs: relayTimeoutMs },
      },
    },
    {
      loadRelays: () => loadRoutingTargets(ctx),
      signingKeys: (domain) => getSigningKeys(ctx, domain),
    },
  );
}
