import dns from 'node:dns';
import type { AppContext } from '../context';
import { getSigningKeys } from '../dns/dkim-keys';
import { logger } from '../logger';
import type { Component } from '../component';
import { publishBreakers } from './breaker-state';
import { CircuitBreakers } from './circuit-breaker';
import type { SigningKeysLookup } from './dkim-sign-message';
import { dns2DnsblQuery } from './dnsbl';
import { LookupCache } from './lookup-cache';
import { startOutboundGateway } from './outbound-gateway';
import { probeRelays, type ProbeDeps } from './probe-relays';
import { RelayTransports, type RelayTarget } from './relay-transport';
import { loadRoutingTargets } from './routing-targets';
import { allowedSenders, sameSenderOwner } from './sender-identities';
import { startSubmissionMilter } from './submission-milter';
import { outboundScanner } from '../sending/check-outbound';
import { closedSender } from '../sending/sending-limits';

/** How long the outbound gateway reuses relays and signing keys it read: changes apply within it. */
export const OUTBOUND_LOOKUP_MS = 2000;

/**
 * The outbound gateway's reads, cached for OUTBOUND_LOOKUP_MS: without it every message cost a
 * relays query with a password unwrap per relay, and a keys query with a private-key unwrap.
 */
export function outboundLookups(
  ctx: AppContext,
  clock: () => number = () => performance.now(),
): { loadRelays: () => Promise<RelayTarget[]>; signingKeys: SigningKeysLookup } {
  const relays = new LookupCache(() => loadRoutingTargets(ctx), OUTBOUND_LOOKUP_MS, clock);
  const keys = new LookupCache((domain: string) => getSigningKeys(ctx, domain), OUTBOUND_LOOKUP_MS, clock);
  return {
    loadRelays: () => relays.get('pool'),
    signingKeys: (domain) => keys.get(domain),
  };
}

function transportsFor(ctx: AppContext): RelayTransports {
  const t = ctx.config.relay.timeoutMs;
  return new RelayTransports({
    reinject: ctx.config.reinject,
    heloName: ctx.config.platformHostname,
    connectionTimeoutMs: t,
    greetingTimeoutMs: t,
    socketTimeoutMs: 4 * t,
  });
}

/** The outbound gateway as the platform runs it, with what its caller may need to watch. */
export interface PlatformOutboundGateway {
  port: number;
  breakers: CircuitBreakers;
  stop(): Promise<void>;
}

/**
 * The outbound gateway on the platform's data: relays and DKIM keys through `lookups`,
 * suspensions and sender identities from the database, relay timeouts and breakers from the
 * configuration, listening on `ctx.config.outbound`.
 */
export async function startPlatformOutboundGateway(
  ctx: AppContext,
  lookups = outboundLookups(ctx),
): Promise<PlatformOutboundGateway> {
  const transports = transportsFor(ctx);
  const breakers = new CircuitBreakers({
    failureThreshold: ctx.config.relay.breakerFailures,
    coolDownMs: ctx.config.relay.breakerCoolDownMs,
    now: ctx.now,
  });
  const gateway = await startOutboundGateway({
    listen: ctx.config.outbound,
    ...lookups,
    // Not cached: a suspension must stop what Sieve sends from the next message on.
    closedSender: (addresses) => closedSender(ctx, addresses),
    sameSenderOwner: (envelopeSender, from) => sameSenderOwner(ctx, envelopeSender, from),
    send: (relay, envelope, message) => transports.send(relay, envelope, message),
    breakers,
    now: ctx.now,
    hostname: ctx.config.platformHostname,
    maxMessageBytes: ctx.config.relay.maxMessageBytes,
  });
  return {
    port: gateway.port,
    breakers,
    async stop() {
      await gateway.stop();
      transports.close();
    },
  };
}

export const outboundGatewayComponent: Component = {
  name: 'outbound-gateway',
  async start(ctx) {
    const gateway = await startPlatformOutboundGateway(ctx);
    publishBreakers(gateway.breakers);
    logger.info({ listen: `${ctx.config.outbound.host}:${gateway.port}` }, 'outbound SMTP gateway');
    return {
      async stop() {
        publishBreakers(undefined);
        await gateway.stop();
      },
    };
  },
};

export const submissionMilterComponent: Component = {
  name: 'submission-milter',
  async start(ctx) {
    const milter = await startSubmissionMilter({
      listen: ctx.config.submissionMilter,
      allowedSenders: (login, addresses) => allowedSenders(ctx, login, addresses),
      scan: ctx.config.sending.scan ? outboundScanner(ctx, ctx.config.sending.scan) : undefined,
    });
    logger.info(
      {
        listen: `${ctx.config.submissionMilter.host}:${milter.port}`,
        scan: Boolean(ctx.config.sending.scan),
      },
      'submission milter (From/Sender against the login, outbound scan)',
    );
    return { stop: () => milter.stop() };
  },
};

/** The real dependencies of the probe: nodemailer verify and dns2 DNSBL lookups. */
export function probeDeps(ctx: AppContext, transports: RelayTransports): ProbeDeps {
  const servers = ctx.config.dnsServers ?? dns.getServers().map((host) => ({ host, port: 53 }));
  return {
    verify: (target) => transports.verify(target),
    dnsbl: dns2DnsblQuery(servers, 3000),
    zones: ctx.config.relay.dnsblZones,
    clock: () => performance.now(),
  };
}

export const relayProbeComponent: Component = {
  name: 'relay-probe',
  async start(ctx) {
    const transports = transportsFor(ctx);
    const deps = probeDeps(ctx, transports);
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<unknown> = Promise.resolve();
    let stopped = false;
    const tick = () => {
      running = probeRelays(ctx, deps)
        .catch((e) => logger.error({ err: e }, 'relay probe failed'))
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, ctx.config.relay.probeIntervalMs);
        });
    };
    tick();
    return {
      async stop() {
        stopped = true;
        clearTimeout(timer);
        await running;
        transports.close();
      },
    };
  },
};
