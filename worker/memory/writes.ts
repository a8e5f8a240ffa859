import type { EngineContext } from "../context.js";
import { settled, type Key, type ReadTx, type WriteTx } from "../db.js";
import type { EncodedPayload } from "../payload/index.js";
import type { MemoryOp } from "../../src/types.js";
import type { CacheChange } from "./cache.js";
import { toCached } from "./reads.js";
import { counterKey, expiredBy, expiryKey, itemKey, itemsOf, nsId, nsKey, packedOf, type Counter, type ItemRow } from "./rows.js";
import { isLive, readStored, removeStored, setExpiry, type Stored } from "./stored.js";

/**
 * The memory store's write transactions: applying a batch's puts and deletes, and sweeping
 * expired items (reads are in reads.ts, packing in packer.ts). Values are encoded (JSON, then the payload module)
 * before any transaction opens; inside one, only requests of that transaction are awaited.
 */

const encoder = new TextEncoder();
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

/** Removes namespace rows of namespaces the transaction emptied. */
async function dropEmpty(tx: WriteTx, touched: Map<string, string[]>, changes: CacheChange[]): Promise<void> {
  const meta = tx.objectStore("meta");
  const list = [...touched.values()];
  const counts = await Promise.all(list.map((ns) => Promise.all([meta.count(itemsOf(ns)), meta.count(packedOf(ns))])));
  list.forEach((ns, i) => {
    if (counts[i][0] + counts[i][1] > 0) return;
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
    Promise.all(puts.map((p) => readStored(tx, p.ns, p.key))),
    Promise.all(namespaces.map((ns) => meta.get(nsKey(ns)) as Promise<number | undefined>)),
    Promise.all(refreshes.map((r) => readStored(tx, r.ns, r.key))),
    Promise.all(puts.map((p) => (p.encoded ? ctx.payloads.put(tx, p.encoded) : undefined))),
  ]);

  const version = counter[0];
  let nextSeq = counter[1];
  refreshes.forEach(({ ns, key }, i) => {
    const stored = refreshRows[i];
    if (!stored || stored.ttl === undefined || !isLive(stored.expiresAt, now)) return;
    const expiresAt = now + stored.ttl * MINUTE;
    if (expiresAt === stored.expiresAt) return;
    settled(meta.delete(expiryKey(stored.expiresAt!, ns, key)));
    setExpiry(tx, ns, key, stored, expiresAt);
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
    const old: Stored | undefined = oldRows[i];
    if (old) {
      releases.push(removeStored(tx, ctx, p.ns, p.key, old));
      if (old.expiresAt !== undefined) settled(meta.delete(expiryKey(old.expiresAt, p.ns, p.key)));
    }
    if (p.value === undefined) {
      if (!old) return;
      changes.push({ kind: "delete", ns: p.ns, key: p.key });
      touched.set(nsId(p.ns), p.ns);
      wrote = true;
      return;
    }
    // An expired item that was not swept yet counts as absent: the put creates it anew.
    const kept = old && isLive(old.expiresAt, now) ? old : undefined;
    const seq = kept ? kept.seq : nextSeq++;
    const createdAt = kept ? kept.createdAt : now;
    const expiresAt = p.ttl !== undefined ? now + p.ttl * MINUTE : undefined;
    // An update is always later than the state it replaces, also within one millisecond (or
    // after the clock stepped back): LangGraph's stores answer updatedAt > the previous one.
    // A packed item's time is in its block, which a put does not read; packing waits for half a
    // second without writes, so a put after it comes later than the item's last write.
    const updatedAt = kept?.row ? Math.max(now, kept.row[2] + 1) : now;
    const row: ItemRow = [seq, createdAt, updatedAt, refs[i]!];
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
  const rows = await Promise.all(keys.map((k) => readStored(tx, k[3] as string[], k[4] as string)));
  const changes: CacheChange[] = [];
  const touched = new Map<string, string[]>();
  const releases: Promise<void>[] = [];
  let removed = 0;
  keys.forEach((k, i) => {
    const [, , at, ns, key] = k as [string, string, number, string[], string];
    settled(meta.delete(k));
    const stored = rows[i];
    // An expiry row the item no longer matches (refreshed, replaced) is only dropped.
    if (!stored || stored.expiresAt !== at) return;
    releases.push(removeStored(tx, ctx, ns, key, stored));
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
