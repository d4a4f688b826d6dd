/**
 * What the outbound gateway reads for every message (relays, a domain's signing keys), kept for
 * a few seconds: a burst of mail costs one query, and a change made through the API or the CLI
 * (a key rotation, a relay added, drained or disabled, a probe's verdict) reaches the gateway
 * within `ttlMs`, because nothing is served older than that. Concurrent misses for one key
 * share one load; a failed load is not kept, so the next message asks again.
 */
export class LookupCache<K, V> {
  private readonly entries = new Map<K, { at: number; value: Promise<V> }>();

  constructor(
    private readonly load: (key: K) => Promise<V>,
    private readonly ttlMs: number,
    /** Monotonic milliseconds (performance.now in production, a fake clock in tests). */
    private readonly clock: () => number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: K): Promise<V> {
    const t = this.clock();
    const hit = this.entries.get(key);
    if (hit && t - hit.at < this.ttlMs) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const value = this.load(key);
    const entry = { at: t, value };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }
}
