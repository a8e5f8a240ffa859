import type { EngineContext } from "../context.js";
import type { MemoryGetOp, MemoryItem, MemoryListOp, MemoryOp, MemoryResult, MemorySearchOp, MemoryStore } from "../../src/types.js";
import { assertOps } from "./validate.js";
import { MemoryCache, toMemoryItem, type CacheChange } from "./cache.js";
import { applyWrites, prepare, readCounter, sweepExpired, type PreparedPut, type Refresh } from "./writes.js";
import { loadCache, readItem } from "./reads.js";
import { Packer, type PackingOptions } from "./packer.js";
import { DecodedBlocks } from "./blocks.js";
import type { ReadTx } from "../db.js";
import type { Counter } from "./rows.js";

function once<T>(fn: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value;
  };
}

export interface MemoryStoreOptions {
  /** How often the worker removes expired items (ms). */
  sweepMs?: number;
  /** When items are packed into blocks (worker/memory/packer.ts). */
  packing?: PackingOptions;
}

/** The memory store plus what only the engine may call. */
export interface EngineMemoryStore extends MemoryStore {
  /** Stops the sweep timer and packing; the engine calls it when it closes. Resolves once a packing under way has ended. */
  dispose(): Promise<void>;
  /** Packs item rows into blocks now (one round); resolves with how many items moved. */
  pack(): Promise<number>;
}

const DEFAULT_SWEEP_MS = 60_000;
/** The first sweep waits this long after the engine opens, out of the way of start-up work. */
const FIRST_SWEEP_MS = 5_000;

/**
 * Long-term memory: items (JSON values under a namespace and key, with optional vectors and time
 * to live) shared by every thread. Values go through the payload module (compressed, checksummed);
 * vectors are float32 (an item's row holds a Float32Array; a block's, one Blob). Searches and
 * namespace listings are answered from a copy of the items the worker keeps while it is current
 * (worker/memory/cache.ts); gets read the row.
 */
export function createMemoryStore(ctx: EngineContext, options: MemoryStoreOptions = {}): EngineMemoryStore {
  const { db } = ctx;
  let cache: MemoryCache | undefined;
  /** Once a search here had a query, copies are loaded with vectors: the next query likely follows. */
  let queried = false;
  const packer = new Packer(ctx, options.packing);
  const decoded = new DecodedBlocks();

  /**
   * The cache, loaded again in this transaction when another writer moved the version on, or
   * when a query needs the vectors a copy loaded for filters left out.
   */
  async function current(tx: ReadTx, counter: () => Promise<Counter>, needVectors: boolean): Promise<MemoryCache> {
    const version = counter().then((c) => c[0]);
    // Without a copy there is no version to compare: the rows are asked for with the counter.
    if (!cache || (needVectors && !cache.withVectors) || cache.version !== (await version)) {
      queried ||= needVectors;
      const loaded = await loadCache(tx, ctx, version, queried);
      cache = loaded.cache;
      packer.loaded(loaded.unpacked);
    }
    return cache;
  }

  /** The batch's answers, read before its writes; the counter is read only for a search or listing. */
  async function reads(tx: ReadTx, ops: MemoryOp[], counter: () => Promise<Counter>, now: number, refresh: Refresh[]): Promise<MemoryResult[]> {
    const needsCache = ops.some((op) => op.op === "search" || op.op === "list");
    // With a copy of the items, gets of packed items may be answered from it: its version goes out with them.
    if (cache && ops.some((op) => op.op === "get")) void counter();
    const needVectors = ops.some((op) => op.op === "search" && op.query !== undefined);
    const c = needsCache ? await current(tx, counter, needVectors) : undefined;
    const ifCurrent = async () => (cache && cache.version === (await counter())[0] ? cache : undefined);
    // Gets read their rows; all requests go out together.
    return Promise.all(
      ops.map(async (op): Promise<MemoryResult> => {
        switch (op.op) {
          case "get": {
            const found = await readItem(tx, ctx, op.namespace, op.key, now, ifCurrent, decoded);
            if (found?.refresh && op.refreshTtl) refresh.push(found.refresh);
            return found?.item ?? null;
          }
          case "search":
            return c!.search(op, now).map(({ item, score }) => {
              if (op.refreshTtl && item.ttl !== undefined) refresh.push({ ns: item.ns, key: item.key });
              return toMemoryItem(item, score);
            });
          case "list":
            return c!.list(op, now);
          default:
            return undefined;
        }
      }),
    );
  }

  /**
   * After a committed write that moved the version to `version`: the cache takes its changes
   * when it held the state just before it (versions are the store's, so this also holds when
   * another tab wrote in between: the cache is then older and is dropped, to be loaded again).
   */
  function follow(changes: CacheChange[], version: number | undefined): void {
    if (version === undefined) return;
    packer.poke();
    if (!cache) return;
    if (cache.version === version - 1) {
      for (const change of changes) cache.apply(change);
      cache.version = version;
    } else if (cache.version < version) {
      cache = undefined;
    }
  }

  async function batch(ops: MemoryOp[]): Promise<MemoryResult[]> {
    assertOps(ops);
    // Writing batches commit in the order they arrive, whatever each takes to prepare.
    const turn = ops.some((op) => op.op === "put") ? db.turn("memory") : undefined;
    let puts: PreparedPut[];
    try {
      puts = await prepare(ctx, ops);
    } catch (e) {
      turn?.skip();
      throw e;
    }
    const now = ctx.now();
    if (puts.length === 0) {
      turn?.skip();
      // Reads only: a read transaction, and a write one after it only when an item read has a
      // ttl to extend (it checks the row again, so a change in between is not undone).
      const refresh: Refresh[] = [];
      const results = await db.read(["meta", "blobs"], (tx) => reads(tx, ops, once(() => readCounter(tx)), now, refresh), "reading memory");
      if (refresh.length > 0) {
        const { changes, version } = await db.write(["meta", "blobs"], (tx) => applyWrites(tx, ctx, readCounter(tx), [], refresh, now), "extending ttls");
        follow(changes, version);
      }
      return results;
    }
    const { results, changes, version } = await db.write(
      ["meta", "blobs"],
      async (tx) => {
        // Every request goes out before the first answer is awaited: one round trip, then the writes.
        const counter = once(() => readCounter(tx));
        void counter();
        const refresh: Refresh[] = [];
        const results = await reads(tx, ops, counter, now, refresh);
        const outcome = await applyWrites(tx, ctx, counter(), puts, refresh, now);
        return { results, ...outcome };
      },
      "writing memory",
      undefined,
      turn,
    );
    // The cache follows this transaction's changes when it was current when the transaction
    // began; otherwise the next search loads it again.
    follow(changes, version);
    return results;
  }

  async function sweep(): Promise<number> {
    const { removed, changes, version } = await db.write(["meta", "blobs"], (tx) => sweepExpired(tx, ctx, ctx.now()), "sweeping expired memory");
    follow(changes, version);
    return removed;
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const schedule = (ms: number) => {
    if (disposed) return;
    timer = setTimeout(() => {
      sweep()
        .catch(() => {
          // A closed or busy database: the next sweep tries again.
        })
        .finally(() => schedule(options.sweepMs ?? DEFAULT_SWEEP_MS));
    }, ms);
    // In Node, a pending sweep must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
  };
  schedule(Math.min(FIRST_SWEEP_MS, options.sweepMs ?? DEFAULT_SWEEP_MS));

  return {
    batch,
    async get(namespace, key, opts = {}) {
      const op: MemoryGetOp = { op: "get", namespace, key, refreshTtl: opts?.refreshTtl };
      return (await batch([op]))[0] as MemoryItem | null;
    },
    async put(namespace, key, value, opts = {}) {
      await batch([{ op: "put", namespace, key, value, vectors: opts?.vectors, ttl: opts?.ttl }]);
    },
    async delete(namespace, key) {
      await batch([{ op: "put", namespace, key, value: null }]);
    },
    async search(namespacePrefix, opts = {}) {
      const op: MemorySearchOp = { ...opts, op: "search", namespacePrefix };
      return (await batch([op]))[0] as MemoryItem[];
    },
    async listNamespaces(opts = {}) {
      const op: MemoryListOp = { ...opts, op: "list" };
      return (await batch([op]))[0] as string[][];
    },
    sweep,
    pack: () => packer.pack(),
    dispose() {
      disposed = true;
      clearTimeout(timer);
      return packer.stop();
    },
  };
}
