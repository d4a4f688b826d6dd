import { circuitStateOf } from './breaker-state';
import type { RelayRow } from './relays';

/** A relay as the API and CLI show it: never the password nor its envelope. */
export function presentRelay(r: RelayRow) {
  return {
    name: r.name,
    kind: r.kind,
    host: r.host,
    port: r.port,
    tlsMode: r.tls_mode,
    username: r.username,
    hasPassword: r.password !== null,
    priority: r.priority,
    role: r.role,
    state: r.state,
    sendingIps: r.sending_ips,
    health: {
      status: r.health_status,
      checkedAt: r.health_checked_at ? r.health_checked_at.toISOString() : null,
      latencyMs: r.health_latency_ms,
      error: r.health_error,
      dnsblListings: r.dnsbl_listings,
      /** This node's circuit breaker: `open` skips the relay until its cool-down ends. */
      circuit: circuitStateOf(r.id),
    },
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export type PresentedRelay = ReturnType<typeof presentRelay>;
