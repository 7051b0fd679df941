// A map whose entries vanish ttl ms after they were last set, judged against a clock on
// every read. There are no timers, so nothing is left running when its owner goes away;
// expired entries are dropped when read and swept now and then as the map grows.
export class ExpiringMap<K, V> {
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();
  #sizeAfterSweep = 0;

  constructor(private readonly now: () => number) {}

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V, ttlMs: number): void {
    // Refreshed entries are updated in place: a fresh wrapper per refresh would outlive
    // two scavenges, reach the old generation as garbage and inflate the heap.
    const entry = this.#entries.get(key);
    if (entry) {
      entry.value = value;
      entry.expiresAt = this.now() + ttlMs;
      return;
    }
    this.#entries.set(key, { value, expiresAt: this.now() + ttlMs });
    // Amortised: entries nobody reads again would otherwise pile up.
    if (this.#entries.size > 2 * this.#sizeAfterSweep + 64) this.sweep();
  }

  /** Extends a live entry's life without replacing it; false when it is gone. */
  touch(key: K, ttlMs: number): boolean {
    const entry = this.#entries.get(key);
    if (!entry || entry.expiresAt <= this.now()) return false;
    entry.expiresAt = this.now() + ttlMs;
    return true;
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** The live entries, oldest insertion first. */
  entries(): Array<[K, V]> {
    this.sweep();
    return [...this.#entries].map(([key, { value }]) => [key, value]);
  }

  get size(): number {
    this.sweep();
    return this.#entries.size;
  }

  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
    this.#sizeAfterSweep = this.#entries.size;
  }
}
