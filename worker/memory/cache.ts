import type { MemoryItem, MemoryListOp, MemorySearchOp } from "../../src/types.js";
import { matches } from "./filter.js";
import { cosine, magnitude } from "./vectors.js";
import { nsId } from "./rows.js";

/**
 * The worker's copy of every item, for search and namespace listing: a search over 10,000 items
 * cannot read them all from IndexedDB in the time a warm search has. It is only used while its
 * `version` equals the store's counter row, read in the transaction of every search, so writes
 * of other tabs (other workers) are seen: the cache is then loaded again.
 *
 * Order. Namespaces are kept in the order they were first written to (since last emptied), and
 * items of a namespace in the order they were created (an update keeps the place): the order in
 * which LangGraph's InMemoryStore returns unranked search results, which this reproduces.
 */
export interface CachedItem {
  ns: string[];
  key: string;
  seq: number;
  createdAt: number;
  updatedAt: number;
  value: Record<string, unknown>;
  fields?: string[];
  /** The fields' vectors end to end. */
  vectors?: Float32Array;
  /** Magnitude of each field's vector, computed on first use. */
  norms?: number[];
  ttl?: number;
  expiresAt?: number;
}

interface Group {
  ns: string[];
  seq: number;
  /** In creation order. */
  items: Map<string, CachedItem>;
}

export type CacheChange =
  | { kind: "put"; item: CachedItem; nsSeq: number }
  | { kind: "delete"; ns: string[]; key: string }
  | { kind: "dropNamespace"; ns: string[] }
  | { kind: "expiry"; ns: string[]; key: string; expiresAt: number };

const live = (item: CachedItem, now: number) => item.expiresAt === undefined || item.expiresAt > now;

/** An item as the store returns it: a copy, so no caller can change the cache. */
export function toMemoryItem(item: CachedItem, score?: number): MemoryItem {
  const out: MemoryItem = { namespace: [...item.ns], key: item.key, value: structuredClone(item.value), createdAt: item.createdAt, updatedAt: item.updatedAt };
  if (score !== undefined) out.score = score;
  return out;
}

export class MemoryCache {
  private readonly groups = new Map<string, Group>();

  /**
   * @param withVectors false when packed items were loaded without their vectors (the blocks'
   *   vector rows are most of the bytes, and only a search with a query reads them): such a
   *   cache answers filters, listings and gets, and is loaded again for a query.
   */
  constructor(
    public version: number,
    readonly withVectors = true,
  ) {}

  /** Builds a cache from namespace rows (any order) and items (any order). */
  static build(version: number, namespaces: Array<[ns: string[], seq: number]>, items: CachedItem[], withVectors = true): MemoryCache {
    const cache = new MemoryCache(version, withVectors);
    namespaces.sort((a, b) => a[1] - b[1]);
    for (const [ns, seq] of namespaces) cache.groups.set(nsId(ns), { ns, seq, items: new Map() });
    cache.maxSeq = namespaces.at(-1)?.[1] ?? -Infinity;
    items.sort((a, b) => a.seq - b.seq);
    for (const item of items) cache.groups.get(nsId(item.ns))?.items.set(item.key, item);
    return cache;
  }

  private maxSeq = -Infinity;

  private sortGroups(): void {
    const sorted = [...this.groups].sort((a, b) => a[1].seq - b[1].seq);
    this.groups.clear();
    for (const [id, g] of sorted) this.groups.set(id, g);
  }

  get size(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.items.size;
    return n;
  }

  item(ns: string[], key: string): CachedItem | undefined {
    return this.groups.get(nsId(ns))?.items.get(key);
  }

  apply(change: CacheChange): void {
    const id = nsId(change.kind === "put" ? change.item.ns : change.ns);
    let group = this.groups.get(id);
    switch (change.kind) {
      case "put": {
        const { item } = change;
        if (!group || group.seq !== change.nsSeq) {
          // A new namespace's sequence number is newer than every stored one, but one batch can
          // place several namespaces in another order than it first fills them (a delete places
          // one too): the groups stay sorted by sequence number.
          this.groups.delete(id);
          group = { ns: item.ns, seq: change.nsSeq, items: new Map() };
          this.groups.set(id, group);
          if (change.nsSeq < this.maxSeq) this.sortGroups();
          this.maxSeq = Math.max(this.maxSeq, change.nsSeq);
        }
        // Replaced in place when it is the same item, appended when created again.
        if (group.items.get(item.key)?.seq !== item.seq) group.items.delete(item.key);
        group.items.set(item.key, item);
        return;
      }
      case "delete":
        group?.items.delete(change.key);
        return;
      case "dropNamespace":
        this.groups.delete(id);
        return;
      case "expiry": {
        const item = group?.items.get(change.key);
        if (item) item.expiresAt = change.expiresAt;
        return;
      }
    }
  }

  /** Live items under the prefix that pass the filter, in the cache's order. */
  candidates(op: MemorySearchOp, now: number): CachedItem[] {
    const prefix = op.namespacePrefix;
    const out: CachedItem[] = [];
    for (const group of this.groups.values()) {
      if (group.ns.length < prefix.length || prefix.some((label, i) => group.ns[i] !== label)) continue;
      // Without a filter the value is not read: a packed item's is decoded only when needed.
      for (const item of group.items.values()) if (live(item, now) && (!op.filter || matches(item.value, op.filter))) out.push(item);
    }
    return out;
  }

  /**
   * A search. Without a query vector: the candidates in order, paginated. With one: every
   * embedded field of every candidate is scored by cosine similarity, best first (ties in
   * candidate order), each item once with its best score; candidates without vectors follow when
   * the page is not full, unscored. (That tail ignores the offset, as InMemoryStore's does.)
   */
  search(op: MemorySearchOp, now: number): Array<{ item: CachedItem; score?: number }> {
    const offset = op.offset ?? 0;
    const limit = op.limit ?? 10;
    const candidates = this.candidates(op, now);
    if (!op.query) return candidates.slice(offset, offset + limit).map((item) => ({ item }));
    if (!this.withVectors) throw new Error("a search with a query needs a copy of the items loaded with their vectors");
    const query = op.query;
    const queryNorm = magnitude(query);
    // Each item's best score over its fields, and where that score stood in the list of every
    // (item, field) pair: an item's first place in a stable sort of all pairs by score.
    const ranked: CachedItem[] = [];
    const scoreless: CachedItem[] = [];
    const best: number[] = [];
    const firstAt: number[] = [];
    let at = 0;
    for (const item of candidates) {
      const fields = item.fields ?? [];
      const vectors = item.vectors;
      if (!vectors || fields.length === 0) {
        scoreless.push(item);
        continue;
      }
      const dims = vectors.length / fields.length;
      item.norms ??= fields.map((_, f) => magnitude(vectors.subarray(f * dims, (f + 1) * dims)));
      let top = -Infinity;
      let topAt = at;
      for (let f = 0; f < fields.length; f++, at++) {
        const score = cosine(query, queryNorm, vectors, f * dims, dims, item.norms[f]);
        if (f === 0 || score > top) {
          top = score;
          topAt = at;
        }
      }
      ranked.push(item);
      best.push(top);
      firstAt.push(topAt);
    }
    const order = topIndexes(best, firstAt, offset + limit);
    const seen = new Set<CachedItem>();
    const kept: Array<{ item: CachedItem; score?: number }> = [];
    order.forEach((i, ix) => {
      seen.add(ranked[i]);
      if (ix >= offset) kept.push({ item: ranked[i], score: best[i] });
    });
    if (scoreless.length && kept.length < limit) {
      for (const item of scoreless.slice(0, limit - kept.length)) {
        if (!seen.has(item)) {
          seen.add(item);
          kept.push({ item });
        }
      }
    }
    return kept;
  }

  /**
   * Namespaces holding live items that meet every condition, cut to maxDepth and deduplicated,
   * sorted as InMemoryStore sorts them (by their ":"-joined form, localeCompare), paginated.
   */
  list(op: MemoryListOp, now: number): string[][] {
    let namespaces: string[][] = [];
    for (const group of this.groups.values()) {
      let any = false;
      for (const item of group.items.values()) if ((any = live(item, now))) break;
      if (any && (op.matchConditions ?? []).every((c) => conditionHolds(c.matchType, c.path, group.ns))) namespaces.push(group.ns);
    }
    if (op.maxDepth !== undefined) {
      const depth = op.maxDepth;
      namespaces = [...new Set(namespaces.map((ns) => ns.slice(0, depth).join(":")))].map((s) => s.split(":"));
    } else {
      namespaces = namespaces.map((ns) => [...ns]);
    }
    const joined = new Map(namespaces.map((ns) => [ns, ns.join(":")]));
    namespaces.sort((a, b) => joined.get(a)!.localeCompare(joined.get(b)!));
    const offset = op.offset ?? 0;
    return namespaces.slice(offset, offset + (op.limit ?? namespaces.length));
  }

  /** Earliest expiry among cached items, for the sweep's timer. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const group of this.groups.values()) for (const item of group.items.values()) if (item.expiresAt !== undefined && (next === undefined || item.expiresAt < next)) next = item.expiresAt;
    return next;
  }
}

/**
 * Indexes of the `k` best entries by score, highest first, ties by position: a stable sort of all
 * of them, cut to k, without sorting all of them when k is small.
 */
function topIndexes(score: number[], at: number[], k: number): number[] {
  const before = (i: number, j: number) => score[i] > score[j] || (score[i] === score[j] && at[i] < at[j]);
  if (k <= 0) return [];
  if (k > 64) {
    const all = score.map((_, i) => i);
    all.sort((i, j) => (before(i, j) ? -1 : before(j, i) ? 1 : 0));
    return all.slice(0, k);
  }
  const top: number[] = [];
  for (let i = 0; i < score.length; i++) {
    if (top.length === k && !before(i, top[k - 1])) continue;
    let p = top.length === k ? k - 1 : top.length;
    while (p > 0 && before(i, top[p - 1])) {
      top[p] = top[p - 1];
      p--;
    }
    top[p] = i;
  }
  return top;
}

function conditionHolds(type: "prefix" | "suffix", path: string[], ns: string[]): boolean {
  if (path.length > ns.length) return false;
  const start = type === "prefix" ? 0 : ns.length - path.length;
  return path.every((label, i) => label === "*" || ns[start + i] === label);
}
