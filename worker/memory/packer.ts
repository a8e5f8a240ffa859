import type { EngineContext } from "../context.js";
import { keysAndValues, settled, type Key, type ReadTx } from "../db.js";
import type { PayloadRef } from "../payload/index.js";
import type { CachedItem } from "./cache.js";
import { blockItems, buildBlock, checkBlock, type BuiltBlock } from "./blocks.js";
import { decodeValue, toCached } from "./reads.js";
import { allItems, allOf, blockKey, itemKey, nextBlockKey, nsId, packedKey, slotsOf, vectorsKey, type ItemRow, type Packed } from "./rows.js";
import { readCounter } from "./writes.js";
import { readVectors, storedVectors } from "./vectors.js";

/**
 * Packing: moves items from their own rows into blocks of a few hundred (rows.ts), in idle time
 * after writes, so that a cold load reads a few dozen large rows instead of one row per item
 * (in Chromium, 10,000 small rows take longer to read than 15 MB in 40 rows). Blocks that are
 * mostly dead (their items deleted or replaced since) are dissolved into new ones, which frees
 * their bytes.
 *
 * A round is a read transaction, then the encoding of the new blocks outside any transaction,
 * then one write transaction that first checks that nothing changed in between: the store's
 * version (moved by every write of an item) and the next block number (moved by every packing,
 * in any tab). If either moved, the round is dropped and tried again later. So a crash or a close
 * at any point leaves the state before the round or after it, and no write is ever undone.
 * Packing changes where items live, not what they are, so it leaves the version alone: every
 * worker's copy of the items stays current.
 */

export interface PackingOptions {
  /** Item rows there must be before they are packed (fewer load fast enough as they are). */
  minItems?: number;
  /** Items per block. */
  blockItems?: number;
  /**
   * Bytes of values (as JSON) per block, at most: a get by a worker without a current copy of the
   * items decodes its item's whole block, so items with large values go fewer to a block.
   */
  blockBytes?: number;
  /** Quiet time after the last write before a round starts; 0 packs only when asked (tests). */
  idleMs?: number;
}

const DEFAULTS = { minItems: 256, blockItems: 256, blockBytes: 256 * 1024, idleMs: 500 };
/** Items one round moves at most: its write transaction holds other writers back meanwhile. */
const ROUND_ITEMS = 4096;

interface Plan {
  version: number;
  next: number;
  /** Items from item rows, with their payloads to release. */
  rows: Array<{ item: CachedItem; ref: PayloadRef }>;
  /** Live items of the blocks dissolved. */
  moved: CachedItem[];
  dissolved: number[];
}

const yieldTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class Packer {
  private readonly options: Required<PackingOptions>;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;
  /** Blocks' vectors are written as Blobs until the engine refuses one. */
  private blobVectors = typeof Blob === "function";

  constructor(
    private readonly ctx: EngineContext,
    options: PackingOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** A write (or a load that found many item rows): a round starts after idleMs without another. */
  poke(): void {
    if (this.stopped || this.options.idleMs <= 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pack()
        .then((moved) => {
          // More than one round's worth: go on after another quiet spell.
          if (moved > 0) this.poke();
        })
        .catch(() => {
          // A closed or busy database: the next write tries again.
        });
    }, this.options.idleMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** A cache load found this many item rows: many (a worker ended before packing them) are packed. */
  loaded(unpacked: number): void {
    if (unpacked >= this.options.minItems) this.poke();
  }

  /** Runs one round now (after the one running, if any); resolves with the items it moved. */
  pack(): Promise<number> {
    const run = (this.running ?? Promise.resolve(0)).catch(() => 0).then(() => this.round());
    this.running = run;
    return run;
  }

  /** Stops: no new round starts, and the one running ends before its write. Resolves when it has. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  private async round(): Promise<number> {
    if (this.stopped) return 0;
    const { db } = this.ctx;
    const plan = await db.read(["meta", "blobs"], (tx) => this.plan(tx), "planning a memory packing");
    if (!plan || this.stopped) return 0;
    // Blocks by namespace, then by age: a namespace's items sit together, as searches read them.
    const pool = [...plan.rows.map((r) => r.item), ...plan.moved].sort((a, b) => (nsId(a.ns) < nsId(b.ns) ? -1 : nsId(a.ns) > nsId(b.ns) ? 1 : a.seq - b.seq));
    const blocks: BuiltBlock[] = [];
    for (const items of this.cut(pool)) {
      blocks.push(buildBlock(this.ctx, items));
      // Encoding is the worker's CPU time: calls get in between blocks.
      await yieldTurn();
      if (this.stopped) return 0;
    }
    const write = (asBlob: boolean) =>
      db.write(
        ["meta", "blobs"],
        async (tx) => {
          const meta = tx.objectStore("meta");
          const [counter, next] = await Promise.all([readCounter(tx), meta.get(nextBlockKey()) as Promise<number | undefined>]);
          if (counter[0] !== plan.version || (next ?? 0) !== plan.next || this.stopped) return false;
          blocks.forEach((b, n) => {
            const block = plan.next + n;
            settled(meta.put(b.row, blockKey(block)));
            settled(meta.put(storedVectors(b.vectors, asBlob), vectorsKey(block)));
            b.items.forEach((item, slot) => {
              const packed: Packed = [block, slot, item.seq, item.createdAt];
              if (item.ttl !== undefined) packed.push(item.ttl, item.expiresAt);
              settled(meta.put(packed, packedKey(item.ns, item.key)));
            });
          });
          const releases: Promise<void>[] = [];
          for (const { item, ref } of plan.rows) {
            settled(meta.delete(itemKey(item.ns, item.key)));
            releases.push(this.ctx.payloads.release(tx, ref));
          }
          // A block's values are in its row: deleting the rows frees everything it held.
          for (const block of plan.dissolved) {
            settled(meta.delete(blockKey(block)));
            settled(meta.delete(vectorsKey(block)));
            settled(meta.delete(slotsOf("d", block)));
            settled(meta.delete(slotsOf("e", block)));
          }
          // Moved on even when no block is written, so two packings never both go ahead.
          settled(meta.put(plan.next + Math.max(1, blocks.length), nextBlockKey()));
          await Promise.all(releases);
          return true;
        },
        "packing memory",
        // Nothing anyone was told is written depends on it: a packing lost to a power cut is
        // simply done again.
        "relaxed",
      );
    let done: boolean;
    try {
      done = await write(this.blobVectors);
    } catch (e) {
      if (!this.blobVectors || this.stopped) throw e;
      // An engine that cannot keep a Blob here (some private modes) keeps the array instead;
      // the round is written again at once, as nothing of it was.
      this.blobVectors = false;
      done = await write(false);
    }
    return done ? plan.rows.length + plan.moved.length : 0;
  }

  /** The pool in blocks of at most blockItems items and blockBytes of values (one item at least). */
  private *cut(pool: CachedItem[]): Generator<CachedItem[]> {
    let block: CachedItem[] = [];
    let bytes = 0;
    for (const item of pool) {
      const size = JSON.stringify(item.value).length;
      if (block.length > 0 && (block.length >= this.options.blockItems || bytes + size > this.options.blockBytes)) {
        yield block;
        block = [];
        bytes = 0;
      }
      block.push(item);
      bytes += size;
    }
    if (block.length > 0) yield block;
  }

  /** What a round would do, read in one transaction; undefined when there is nothing to do. */
  private async plan(tx: ReadTx): Promise<Plan | undefined> {
    const meta = tx.objectStore("meta");
    const [counter, next, unpacked, deadKeys] = await Promise.all([
      readCounter(tx),
      meta.get(nextBlockKey()) as Promise<number | undefined>,
      meta.count(allItems()),
      meta.getAllKeys(allOf("d")) as Promise<Key[]>,
    ]);
    const deadBy = new Map<number, Set<number>>();
    for (const k of deadKeys) {
      const block = k[2] as number;
      if (!deadBy.has(block)) deadBy.set(block, new Set());
      deadBy.get(block)!.add(k[3] as number);
    }
    const touched = [...deadBy.keys()];
    const rows = await Promise.all(touched.map((b) => meta.get(blockKey(b))));
    // A block at least half dead is dissolved: its live items move, its bytes are freed.
    const sparse = touched.map((block, i) => ({ block, row: checkBlock(rows[i], block) })).filter(({ block, row }) => deadBy.get(block)!.size * 2 >= row.keys.length);
    if (unpacked < this.options.minItems && sparse.length === 0) return undefined;
    const plan: Plan = { version: counter[0], next: next ?? 0, rows: [], moved: [], dissolved: [] };
    const { keys, values: itemRows } = await keysAndValues<ItemRow>(meta, allItems(), ROUND_ITEMS);
    plan.rows = await Promise.all(
      itemRows.map(async (row, i) => {
        const [, , ns, key] = keys[i] as [string, string, string[], string];
        return { item: toCached(ns, key, row, await decodeValue(tx, this.ctx, row[3])), ref: row[3] };
      }),
    );
    await Promise.all(
      sparse.map(async ({ block, row }) => {
        const [vectors, { keys: extendedKeys, values: extended }] = await Promise.all([meta.get(vectorsKey(block)).then(readVectors), keysAndValues(meta, slotsOf("e", block))]);
        checkBlock(row, block, vectors);
        const expiry = new Map(extendedKeys.map((k, i) => [(k as Key)[3] as number, extended[i] as number]));
        const dead = deadBy.get(block)!;
        plan.moved.push(...blockItems(this.ctx, row, block, vectors as Float32Array, (i) => dead.has(i), (i) => expiry.get(i)));
        plan.dissolved.push(block);
      }),
    );
    return plan;
  }
}
