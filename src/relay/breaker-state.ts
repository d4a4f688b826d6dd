import type { BreakerState, CircuitBreakers } from './circuit-breaker';

/**
 * The circuit breakers of the outbound gateway running in this process, so the API can show each
 * relay's circuit state. Each copy of giroflee has its own gateway and breakers: the state shown
 * is this node's.
 */
let running: CircuitBreakers | undefined;

export function publishBreakers(breakers: CircuitBreakers | undefined): void {
  running = breakers;
}

/** `unknown` when no outbound gateway runs in this process. */
export function circuitStateOf(relayId: string): BreakerState | 'unknown' {
  return running ? running.state(relayId) : 'unknown';
}
