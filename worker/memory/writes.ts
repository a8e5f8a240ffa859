import type { EngineContext } from "../context.js";
import { settled, type Key, type ReadTx, type WriteTx } from "../db.js";
import type { EncodedPayload, PayloadRef } from "../payload.js";
import { StoreError } from "../../src/errors.js";
import type { MemoryItem, MemoryOp } from "../../src/types.js";
import { MemoryCache, type CacheChange, type CachedItem } from "./cache.js";
import { allItems, allNamespaces, counterKey, expiredBy, expiryKey, itemKey, itemsOf, nsId, nsKey, type Counter, type ItemRow } from "./rows.js";

/**
 * The memory store's transactions: reading an item, loading the cache, applying a batch's puts
 * and deletes, and sweeping expired items. Values are encoded (JSON, then the payload module)
 * before any transaction opens; inside one, only requests of that transaction are awaited.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MINUTE = 60_000;

export interface PreparedPut {
  ns: string[];
  key: string;
  /** Absent for a delete. */
  encoded?: EncodedPayload;
  /** The value as it will be read back (JSON round trip), for the cache. */
  value?: Record<string, unknown>;
  fields?: string[];
  vectors?: Float32Array;
  ttl?: number;
}

/** An item whose time to live a read asked to extend. */
export interface Refresh {
  ns: string[];
  key: string;
}

export interface WriteOutcome {
  changes: CacheChange[];
  /** The version the transaction wrote; undefined when it changed nothing. */
  version: number | undefined;
}

const itemId = (ns: string[], key: string) => JSON.stringify([ns, key]);
const isLive = (row: ItemRow, now: number) => row[7] === undefined || row[7] > now;

/**
 * The batch's puts, one per item (the last put of an item wins, in the place of its first, as
 * InMemoryStore applies them), with values encoded and vectors packed into one Float32Array.
 */
export async function prepare(ctx: EngineContext, ops: MemoryOp[]): Promise<PreparedPut[]> {
  const byItem = new Map<string, PreparedPut>();
  for (const op of ops) {
    if (op.op !== "put") continue;
    const put: PreparedPut = { ns: [...op.namespace], key: op.key };
    if (op.value !== null) {
      const json = JSON.stringify(op.value);
      put.value = JSON.parse(json);
      put.encoded = await ctx.payloads.encode(encoder.encode(json));
      if (op.vectors && op.vectors.length > 0) {
        const dims = op.vectors[0].vector.length;
        put.fields = op.vectors.map((v) => v.field);
        put.vectors = new Float32Array(dims * op.vectors.length);
        op.vectors.forEach((v, i) => put.vectors!.set(v.vector, i * dims));
      }
      if (op.ttl) put.ttl = op.ttl;
    }
    byItem.set(itemId(put.ns, put.key), put);
  }
  return [...byItem.values()];
}

export async function readCounter(tx: ReadTx): Promise<Counter> {
  return ((await tx.objectStore("meta").get(counterKey())) as Counter | undefined) ?? [0, 1];
}

async function decodeValue(tx: ReadTx, ctx: EngineContext, ref: PayloadRef): Promise<Record<string, unknown>> {
  const bytes = await ctx.payloads.get(tx, ref);
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new StoreError("INTEGRITY", "a memory item's value is not JSON", { cause: e, retryable: false });
  }
}

function toCached(ns: string[], key: string, row: ItemRow, value: Record<string, unknown>): CachedItem {
  const [seq, createdAt, updatedAt, , fields, vectors, ttl, expiresAt] = row;
  const item: CachedItem = { ns, key, seq, createdAt, updatedAt, value };
  if (fields && vectors) Object.assign(item, { fields, vectors });
  if (ttl !== undefined) Object.assign(item, { ttl, expiresAt });
  return item;
}

/** A live item by its row; `refresh` names it for a ttl refresh when it has a ttl. */
export async function readItem(tx: ReadTx, ctx: EngineContext, ns: string[], key: string, now: number): Promise<{ item: MemoryItem; refresh?: Refresh } | undefined> {
  const row = (await tx.objectStore("meta").get(itemKey(ns, key))) as ItemRow | undefined;
  if (!row || !isLive(row, now)) return undefined;
  const value = await decodeValue(tx, ctx, row[3]);
  return { item: { namespace: [...ns], key, value, createdAt: row[1], updatedAt: row[2] }, refresh: row[6] !== undefined ? { ns, key } : undefined };
}

/**
 * Items read per request when loading the cache. Each page's answer is a task of its own, so the
 * worker keeps answering (the page's liveness pings among others) while 10,000 items load.
 */
const LOAD_PAGE = 500;

/** Every namespace and item, read in one transaction, a page of items at a time. */
export async function loadCache(tx: ReadTx, ctx: EngineContext, version: number): Promise<MemoryCache> {
  const meta = tx.objectStore("meta");
  const [nsKeys, nsSeqs] = await Promise.all([meta.getAllKeys(allNamespaces()), meta.getAll(allNamespaces())]);
  const items: CachedItem[] = [];
  let range = allItems();
  for (;;) {
    const [keys, rows] = await Promise.all([meta.getAllKeys(range, LOAD_PAGE), meta.getAll(range, LOAD_PAGE) as Promise<ItemRow[]>]);
    const decoded = await Promise.all(
      rows.map(async (row, i) => {
        const [, , ns, key] = keys[i] as [string, string, string[], string];
        return toCached(ns, key, row, await decodeValue(tx, ctx, row[3]));
      }),
    );
    items.push(...decoded);
    if (keys.length < LOAD_PAGE) break;
    range = IDBKeyRange.bound(keys[keys.length - 1], allItems().upper, true);
  }
  return MemoryCache.build(
    version,
    nsKeys.map((k, i) => [(k as Key)[2] as string[], nsSeqs[i] as number]),
    items,
  );
}

/** Removes namespace rows of namespaces the transaction emptied. */
async function dropEmpty(tx: WriteTx, touched: Map<string, string[]>, changes: CacheChange[]): Promise<void> {
  const meta = tx.objectStore("meta");
  const list = [...touched.values()];
  const counts = await Promise.all(list.map((ns) => meta.count(itemsOf(ns))));
  list.forEach((ns, i) => {
    if (counts[i] > 0) return;
    settled(meta.delete(nsKey(ns)));
    changes.push({ kind: "dropNamespace", ns });
  });
}

/** Applies ttl refreshes, then the puts and deletes, and moves the version on if anything changed. */
export async function applyWrites(tx: WriteTx, ctx: EngineContext, counterRead: Promise<Counter>, puts: PreparedPut[], refresh: Refresh[], now: number): Promise<WriteOutcome> {
  const meta = tx.objectStore("meta");
  const changes: CacheChange[] = [];
  let wrote = false;
  // A put of the same item decides its expiry; so does a second refresh of it.
  const putIds = new Set(puts.map((p) => itemId(p.ns, p.key)));
  const refreshes = [...new Map(refresh.filter((r) => !putIds.has(itemId(r.ns, r.key))).map((r) => [itemId(r.ns, r.key), r])).values()];
  // Namespaces that receive an item, in the order the batch first touches them (a delete too
  // places a namespace, as in InMemoryStore).
  const filled = new Set(puts.filter((p) => p.value !== undefined).map((p) => nsId(p.ns)));
  const namespaces = [...new Map(puts.filter((p) => filled.has(nsId(p.ns))).map((p) => [nsId(p.ns), p.ns])).values()];
  const [counter, oldRows, nsRows, refreshRows, refs] = await Promise.all([
    counterRead,
    Promise.all(puts.map((p) => meta.get(itemKey(p.ns, p.key)) as Promise<ItemRow | undefined>)),
    Promise.all(namespaces.map((ns) => meta.get(nsKey(ns)) as Promise<number | undefined>)),
    Promise.all(refreshes.map((r) => meta.get(itemKey(r.ns, r.key)) as Promise<ItemRow | undefined>)),
    Promise.all(puts.map((p) => (p.encoded ? ctx.payloads.put(tx, p.encoded) : undefined))),
  ]);

  const version = counter[0];
  let nextSeq = counter[1];
  refreshes.forEach(({ ns, key }, i) => {
    const row = refreshRows[i];
    if (!row || row[6] === undefined || !isLive(row, now)) return;
    const expiresAt = now + row[6] * MINUTE;
    if (expiresAt === row[7]) return;
    settled(meta.delete(expiryKey(row[7]!, ns, key)));
    row[7] = expiresAt;
    settled(meta.put(row, itemKey(ns, key)));
    settled(meta.put(0, expiryKey(expiresAt, ns, key)));
    changes.push({ kind: "expiry", ns, key, expiresAt });
    wrote = true;
  });

  const nsSeq = new Map<string, number>();
  namespaces.forEach((ns, i) => {
    let seq = nsRows[i];
    if (seq === undefined) {
      seq = nextSeq++;
      settled(meta.put(seq, nsKey(ns)));
    }
    nsSeq.set(nsId(ns), seq);
  });
  const touched = new Map<string, string[]>();
  const releases: Promise<void>[] = [];
  puts.forEach((p, i) => {
    const old = oldRows[i];
    if (old) {
      releases.push(ctx.payloads.release(tx, old[3]));
      if (old[7] !== undefined) settled(meta.delete(expiryKey(old[7], p.ns, p.key)));
    }
    if (p.value === undefined) {
      if (!old) return;
      settled(meta.delete(itemKey(p.ns, p.key)));
      changes.push({ kind: "delete", ns: p.ns, key: p.key });
      touched.set(nsId(p.ns), p.ns);
      wrote = true;
      return;
    }
    // An expired item that was not swept yet counts as absent: the put creates it anew.
    const kept = old && isLive(old, now) ? old : undefined;
    const seq = kept ? kept[0] : nextSeq++;
    const createdAt = kept ? kept[1] : now;
    const expiresAt = p.ttl !== undefined ? now + p.ttl * MINUTE : undefined;
    const row: ItemRow = [seq, createdAt, now, refs[i]!];
    if (p.fields) row.push(p.fields, p.vectors);
    if (p.ttl !== undefined) {
      row[6] = p.ttl;
      row[7] = expiresAt;
      settled(meta.put(0, expiryKey(expiresAt!, p.ns, p.key)));
    }
    settled(meta.put(row, itemKey(p.ns, p.key)));
    changes.push({ kind: "put", item: toCached(p.ns, p.key, row, p.value), nsSeq: nsSeq.get(nsId(p.ns))! });
    wrote = true;
  });
  await dropEmpty(tx, touched, changes);
  await Promise.all(releases);
  if (!wrote) return { changes: [], version: undefined };
  settled(meta.put([version + 1, nextSeq] satisfies Counter, counterKey()));
  return { changes, version: version + 1 };
}

/** Deletes every item whose expiry time has come, with its expiry row. */
export async function sweepExpired(tx: WriteTx, ctx: EngineContext, now: number): Promise<WriteOutcome & { removed: number }> {
  const meta = tx.objectStore("meta");
  const [counter, keys] = await Promise.all([readCounter(tx), meta.getAllKeys(expiredBy(now)) as Promise<Key[]>]);
  if (keys.length === 0) return { removed: 0, changes: [], version: undefined };
  const rows = await Promise.all(keys.map((k) => meta.get(itemKey(k[3] as string[], k[4] as string)) as Promise<ItemRow | undefined>));
  const changes: CacheChange[] = [];
  const touched = new Map<string, string[]>();
  const releases: Promise<void>[] = [];
  let removed = 0;
  keys.forEach((k, i) => {
    const [, , at, ns, key] = k as [string, string, number, string[], string];
    settled(meta.delete(k));
    const row = rows[i];
    // An expiry row the item no longer matches (refreshed, replaced) is only dropped.
    if (!row || row[7] !== at) return;
    releases.push(ctx.payloads.release(tx, row[3]));
    settled(meta.delete(itemKey(ns, key)));
    changes.push({ kind: "delete", ns, key });
    touched.set(nsId(ns), ns);
    removed++;
  });
  await dropEmpty(tx, touched, changes);
  await Promise.all(releases);
  if (removed === 0) return { removed, changes: [], version: undefined };
  settled(meta.put([counter[0] + 1, counter[1]] satisfies Counter, counterKey()));
  return { removed, changes, version: counter[0] + 1 };
}
