/**
 * Small in-memory caches for the registry's hot reads (a manifest by tag, a blob's HEAD): without
 * them each request costs several file system round trips on the I/O pool.
 *
 * Entries this process changes are invalidated at once. Entries live at most `ttlMs`, so that what
 * another process changes in the storage (`wharf serve gc`) is seen within that time.
 */
export class TtlCache<V> {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #entries = new Map<string, { value: V; expires: number }>();

  constructor(ttlMs: number, max = 10_000) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires < Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.#entries.size >= this.#max) {
      // Oldest first (a Map keeps insertion order): cheap, and good enough for a bounded cache.
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expires: Date.now() + this.#ttlMs });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** Immutable content by digest, bounded by total bytes (least recently used goes first). */
export class ContentCache {
  readonly #maxBytes: number;
  #bytes = 0;
  readonly #entries = new Map<string, Buffer>();

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get(digest: string): Buffer | undefined {
    const value = this.#entries.get(digest);
    if (value !== undefined) {
      this.#entries.delete(digest);
      this.#entries.set(digest, value);
    }
    return value;
  }

  set(digest: string, value: Buffer): void {
    if (value.byteLength > this.#maxBytes / 16 || this.#entries.has(digest)) return;
    this.#entries.set(digest, value);
    this.#bytes += value.byteLength;
    for (const [key, old] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(key);
      this.#bytes -= old.byteLength;
    }
  }
}
