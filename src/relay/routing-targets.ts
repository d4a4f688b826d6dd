import crypto from 'node:crypto';
import type { ServiceContext } from '../context';
import type { Keyring } from '../encryption/master-key';
import { activeRelays, relayPassword, type RelayRow } from './relays';
import type { RelayTarget } from './relay-transport';

/** What a pooled transport was built from: it changes exactly when the transport must be rebuilt. */
function connectionVersion(r: RelayRow): string {
  const settings = [r.kind, r.host, r.port, r.tls_mode, r.username, r.password];
  return crypto.createHash('sha256').update(JSON.stringify(settings)).digest('base64url');
}

export function toTarget(keyring: Keyring, r: RelayRow): RelayTarget {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    host: r.host,
    port: r.port,
    tlsMode: r.tls_mode,
    username: r.username,
    password: relayPassword(keyring, r),
    version: connectionVersion(r),
  };
}

/**
 * The order the gateway tries relays in: active primaries not known down, by priority; then
 * active fallbacks not known down; then, as a last resort before answering 4xx, the ones the
 * probe found down (a probe can be wrong, and trying costs little once the breaker is open).
 * Draining and disabled relays get no traffic.
 */
export function routingOrder(rows: RelayRow[]): RelayRow[] {
  const rank = (r: RelayRow) => (r.health_status === 'down' ? 2 : 0) + (r.role === 'fallback' ? 1 : 0);
  return rows
    .filter((r) => r.state === 'active')
    .sort((a, b) => rank(a) - rank(b) || a.priority - b.priority || a.name.localeCompare(b.name));
}

export async function loadRoutingTargets(ctx: ServiceContext): Promise<RelayTarget[]> {
  return routingOrder(await activeRelays(ctx)).map((r) => toTarget(ctx.keyring, r));
}
