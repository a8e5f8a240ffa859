/**
 * Small LRU caches of the payload module, both local to one worker and both safe to be wrong
 * about what the database holds: chunk contents are named by content, so a cached chunk's bytes
 * never go stale, and "known" names only decide what is compressed before a transaction.
 */

/** Decompressed, verified chunk bytes (or entries holding them) by key, bounded by their total size. */
export class ChunkCache<V extends { length: number } | { raw: number } = Uint8Array> {
  private readonly entries = new Map<string, V>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Whether an entry of `size` bytes can be kept at all (a larger one is not worth copying). */
  fits(size: number): boolean {
    return size <= this.maxBytes;
  }

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // Map keeps insertion order: re-inserting makes this the most recently used entry.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: V): void {
    const size = sizeOf(value);
    if (size > this.maxBytes) return;
    this.delete(key);
    this.entries.set(key, value);
    this.bytes += size;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= sizeOf(v);
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= sizeOf(old);
    }
  }

  get size(): number {
    return this.bytes;
  }
}

/** A bounded set with least-recently-used eviction. */
export class LruSet {
  private readonly entries = new Set<string>();

  constructor(private readonly max: number) {}

  has(key: string): boolean {
    return this.entries.has(key);
  }

  add(key: string): void {
    this.entries.delete(key);
    this.entries.add(key);
    if (this.entries.size > this.max) {
      const oldest = this.entries.values().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

const sizeOf = (v: { length: number } | { raw: number }) => ("raw" in v ? v.raw : v.length);
