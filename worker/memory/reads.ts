import type { EngineContext } from "../context.js";
import { keysAndValues, type Key, type ReadTx } from "../db.js";
import type { PayloadRef } from "../payload/index.js";
import { StoreError } from "../../src/errors.js";
import type { MemoryItem } from "../../src/types.js";
import { MemoryCache, type CachedItem } from "./cache.js";
import { blockItems, checkBlock, type DecodedBlocks } from "./blocks.js";
import { allItems, allNamespaces, allOf, blockKey, type ItemRow } from "./rows.js";
import { isLive, readStored } from "./stored.js";
import { readVectors } from "./vectors.js";
import type { Refresh } from "./writes.js";

/** The memory store's reads: one item (a get), or every item (loading the cache). */

const decoder = new TextDecoder();

export async function decodeValue(tx: ReadTx, ctx: EngineContext, ref: PayloadRef): Promise<Record<string, unknown>> {
  const bytes = await ctx.payloads.get(tx, ref);
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new StoreError("INTEGRITY", "a memory item's value is not JSON", { cause: e, retryable: false });
  }
}

export function toCached(ns: string[], key: string, row: ItemRow, value: Record<string, unknown>): CachedItem {
  const [seq, createdAt, updatedAt, , fields, vectors, ttl, expiresAt] = row;
  const item: CachedItem = { ns, key, seq, createdAt, updatedAt, value };
  if (fields && vectors) Object.assign(item, { fields, vectors });
  if (ttl !== undefined) Object.assign(item, { ttl, expiresAt });
  return item;
}

/**
 * A live item, from its row or its block; `refresh` names it for a ttl refresh when it has a ttl.
 * A packed item is taken from the worker's copy of the items when `current` gives one (a copy
 * the counter row says is current), which spares reading its block; else from its block, whose
 * values `decoded` keeps for the next get.
 */
export async function readItem(
  tx: ReadTx,
  ctx: EngineContext,
  ns: string[],
  key: string,
  now: number,
  current: () => Promise<MemoryCache | undefined>,
  decoded: DecodedBlocks,
): Promise<{ item: MemoryItem; refresh?: Refresh } | undefined> {
  const meta = tx.objectStore("meta");
  const stored = await readStored(tx, ns, key);
  if (!stored || !isLive(stored.expiresAt, now)) return undefined;
  let value: Record<string, unknown>;
  let updatedAt: number;
  let hit: CachedItem | undefined;
  if (stored.row) {
    value = await decodeValue(tx, ctx, stored.row[3]);
    updatedAt = stored.row[2];
  } else if ((hit = (await current())?.item(ns, key))) {
    value = structuredClone(hit.value);
    updatedAt = hit.updatedAt;
  } else {
    const [block, slot] = stored.packed!;
    const row = checkBlock(await meta.get(blockKey(block)), block);
    if (row.keys[slot] !== key) throw new StoreError("INTEGRITY", `memory block ${block} does not hold the item its pointer names`, { retryable: false });
    // A copy: the decoded block stays in `decoded` for the next get.
    value = structuredClone(decoded.values(ctx, row, block)[slot]);
    updatedAt = row.updated[slot];
  }
  return { item: { namespace: [...ns], key, value, createdAt: stored.createdAt, updatedAt }, refresh: stored.ttl !== undefined ? { ns, key } : undefined };
}

/**
 * Item rows read per request when loading the cache. Each page's answer is a task of its own, so the
 * worker keeps answering (the page's liveness pings among others) while many unpacked items load.
 */
const LOAD_PAGE = 500;

/** Every item row (unpacked items), a page at a time. */
async function unpackedItems(tx: ReadTx, ctx: EngineContext): Promise<CachedItem[]> {
  const meta = tx.objectStore("meta");
  const items: CachedItem[] = [];
  let range = allItems();
  for (;;) {
    const { keys, values: rows } = await keysAndValues<ItemRow>(meta, range, LOAD_PAGE);
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
  return items;
}

/** The live slots of every block, with the expiries extended since packing (and their vectors when asked). */
async function packedItems(tx: ReadTx, ctx: EngineContext, withVectors: boolean): Promise<CachedItem[]> {
  const meta = tx.objectStore("meta");
  const [{ keys: blockKeys, values: blocks }, [vectorKeys, vectors], deadKeys, { keys: extendedKeys, values: extended }] = await Promise.all([
    keysAndValues(meta, allOf("b")),
    // Blobs are read as soon as their handles arrive, beside the other rows.
    withVectors ? keysAndValues(meta, allOf("v")).then(async ({ keys, values }) => [keys, await Promise.all(values.map(readVectors))] as const) : ([[], []] as const),
    meta.getAllKeys(allOf("d")),
    keysAndValues<number>(meta, allOf("e")),
  ]);
  if (blockKeys.length === 0) return [];
  const slotId = (k: Key) => `${k[2] as number}/${k[3] as number}`;
  const dead = new Set(deadKeys.map((k) => slotId(k as Key)));
  const expiry = new Map(extendedKeys.map((k, i) => [slotId(k as Key), extended[i] as number]));
  const vectorsOf = new Map(vectorKeys.map((k, i) => [(k as Key)[2] as number, vectors[i]]));
  const perBlock = blockKeys.map((k, b) => {
    const block = (k as Key)[2] as number;
    const v = withVectors ? vectorsOf.get(block) : undefined;
    const row = checkBlock(blocks[b], block, v);
    return blockItems(ctx, row, block, v as Float32Array | undefined, (i) => dead.has(`${block}/${i}`), (i) => expiry.get(`${block}/${i}`));
  });
  return perBlock.flat();
}

/**
 * Every namespace and item, read in one transaction: item rows and blocks at once, with the
 * version (a worker that has no copy yet asks for everything in one round trip). The blocks'
 * vectors only `withVectors`: 10,000 items of 384 dimensions are 15 MB of vectors, and a search
 * by filter does not need them.
 */
export async function loadCache(tx: ReadTx, ctx: EngineContext, versionRead: Promise<number>, withVectors: boolean): Promise<{ cache: MemoryCache; unpacked: number }> {
  const meta = tx.objectStore("meta");
  const [version, { keys: nsKeys, values: nsSeqs }, unpacked, packed] = await Promise.all([
    versionRead,
    keysAndValues<number>(meta, allNamespaces()),
    unpackedItems(tx, ctx),
    packedItems(tx, ctx, withVectors),
  ]);
  const cache = MemoryCache.build(
    version,
    nsKeys.map((k, i) => [(k as Key)[2] as string[], nsSeqs[i] as number]),
    unpacked.length === 0 ? packed : packed.length === 0 ? unpacked : unpacked.concat(packed),
    withVectors,
  );
  return { cache, unpacked: unpacked.length };
}
