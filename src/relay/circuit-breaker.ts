/**
 * One breaker per relay, so a dead relay costs no connection timeout on every message:
 * closed → (N consecutive failures) → open → (cool-down elapsed) → half-open, where one message
 * is let through as a probe; its success closes the breaker, its failure opens it again.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
  now: () => Date;
}

interface Entry {
  failures: number;
  openedAt?: number;
  probing: boolean;
}

export class CircuitBreakers {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: BreakerOptions) {}

  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (!e) {
      e = { failures: 0, probing: false };
      this.entries.set(id, e);
    }
    return e;
  }

  state(id: string): BreakerState {
    const e = this.entries.get(id);
    if (!e || e.openedAt === undefined) return 'closed';
    return this.options.now().getTime() - e.openedAt >= this.options.coolDownMs ? 'half-open' : 'open';
  }

  /** May a message be sent through this relay now? In half-open, only one at a time. */
  tryAcquire(id: string): boolean {
    const state = this.state(id);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const e = this.entry(id);
    if (e.probing) return false;
    e.probing = true;
    return true;
  }

  success(id: string): void {
    this.entries.delete(id);
  }

  failure(id: string): void {
    const e = this.entry(id);
    e.failures += 1;
    e.probing = false;
    if (e.openedAt !== undefined || e.failures >= this.options.failureThreshold) {
      e.openedAt = this.options.now().getTime();
    }
  }
}
