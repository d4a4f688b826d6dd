import net from 'node:net';
import DNS from 'dns2';
import type { Endpoint } from '../config';

/** A listener bound to every address is probed through loopback. */
const reachable = (e: Endpoint): Endpoint =>
  e.host === '0.0.0.0' ? { ...e, host: '127.0.0.1' } : e.host === '::' ? { ...e, host: '::1' } : e;

export interface ProbeResult {
  ok: boolean;
  latencyMs?: number;
  /** Why it failed (a system error code such as ECONNREFUSED, or `timeout`). */
  error?: string;
}

/** Whether something listens at `endpoint`: one TCP connection, closed at once. */
export function tcpProbe(endpoint: Endpoint, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const target = reachable(endpoint);
    const socket = net.connect({ host: target.host, port: target.port });
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, error: 'timeout' }));
    socket.once('connect', () => done({ ok: true, latencyMs: Date.now() - started }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: e.code ?? 'error' }));
  });
}

/**
 * Whether the platform's authoritative zone answers for its own name (an SOA over UDP), as a
 * resolver following a delegated DKIM CNAME would ask it.
 */
export async function zoneProbe(endpoint: Endpoint, zone: string, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  try {
    const target = reachable(endpoint);
    const ask = DNS.UDPClient({
      dns: target.host,
      port: target.port,
      retryOverTCP: false,
      timeout: timeoutMs,
    });
    const answer = await ask(zone, 'SOA');
    if (answer.header.rcode !== 0) return { ok: false, error: `rcode ${answer.header.rcode}` };
    return {
      ok: answer.answers.length > 0,
      latencyMs: Date.now() - started,
      error: answer.answers.length ? undefined : 'no SOA',
    };
  } catch (e) {
    return { ok: false, error: (e as Error).message || 'error' };
  }
}
