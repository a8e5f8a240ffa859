import type { EngineContext } from "../context.js";
import { StoreError } from "../../src/errors.js";
import type { CachedItem } from "./cache.js";
import { nsId, type BlockRow } from "./rows.js";
import { magnitude } from "./vectors.js";

/**
 * Blocks of packed items (rows.ts): built from items by the packer, read back whole by a cold
 * load and slot by slot by a get. A block's values are one payload (a JSON array) kept in the
 * block row itself (Payloads.wrap: compressed and checksummed, no rows of its own), so a cold
 * load decodes a few dozen payloads and makes no request for them; its vectors are one
 * Float32Array, which the loaded items view without copying, and their magnitudes are stored
 * with them, so the first search on a cold worker computes only the dot products.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const malformed = (what: string) => new StoreError("INTEGRITY", `memory block ${what} is malformed`, { retryable: false });

/** A block made ready for writing. */
export interface BuiltBlock {
  row: BlockRow;
  vectors: Float32Array;
  items: CachedItem[];
}

/** Builds one block of `items` (their values encoded through the payload module). */
export function buildBlock(ctx: EngineContext, items: CachedItem[]): BuiltBlock {
  const nsIndex = new Map<string, number>();
  let floats = 0;
  let fieldCount = 0;
  for (const item of items) {
    if (!item.fields || !item.vectors) continue;
    floats += item.vectors.length;
    fieldCount += item.fields.length;
  }
  const vectors = new Float32Array(floats);
  const norms = new Float64Array(fieldCount);
  const values = ctx.payloads.wrap(encoder.encode(JSON.stringify(items.map((i) => i.value))));
  const row: BlockRow = { ns: [], at: [], keys: [], seq: [], created: [], updated: [], fields: [], ttl: [], exp: [], vec: [0], norms, values };
  let at = 0;
  let f = 0;
  for (const item of items) {
    const id = nsId(item.ns);
    let n = nsIndex.get(id);
    if (n === undefined) {
      n = row.ns.length;
      nsIndex.set(id, n);
      row.ns.push(item.ns);
    }
    row.at.push(n);
    row.keys.push(item.key);
    row.seq.push(item.seq);
    row.created.push(item.createdAt);
    row.updated.push(item.updatedAt);
    row.ttl.push(item.ttl ?? 0);
    row.exp.push(item.expiresAt ?? 0);
    if (item.fields && item.vectors) {
      row.fields.push(item.fields);
      vectors.set(item.vectors, at);
      // The same function the search uses on the same float32 values: the same numbers.
      const dims = item.vectors.length / item.fields.length;
      for (let k = 0; k < item.fields.length; k++) norms[f++] = magnitude(item.vectors.subarray(k * dims, (k + 1) * dims));
      at += item.vectors.length;
    } else {
      row.fields.push(0);
    }
    row.vec.push(at);
  }
  return { row, vectors, items };
}

/** Checks a block row's shape: every column as long as its keys, offsets in order. */
export function checkBlock(row: unknown, block: number, vectors?: unknown): BlockRow {
  const b = row as BlockRow;
  const n = Array.isArray(b?.keys) ? b.keys.length : -1;
  const columns = [b?.at, b?.seq, b?.created, b?.updated, b?.fields, b?.ttl, b?.exp];
  if (n < 0 || !Array.isArray(b.ns) || columns.some((c) => !Array.isArray(c) || c.length !== n) || !Array.isArray(b.vec) || b.vec.length !== n + 1) throw malformed(String(block));
  if (vectors !== undefined) {
    if (!(vectors instanceof Float32Array) || !(b.norms instanceof Float64Array)) throw malformed(`${block} vectors`);
    let fields = 0;
    for (let i = 0; i < n; i++) {
      if (!(b.vec[i] <= b.vec[i + 1])) throw malformed(String(block));
      const f = b.fields[i];
      if (f) fields += f.length;
    }
    if (b.vec[0] !== 0 || b.vec[n] !== vectors.length || b.norms.length !== fields) throw malformed(String(block));
  }
  return b;
}

/** The block's values, in slot order. */
export function blockValues(ctx: EngineContext, row: BlockRow, block: number): Array<Record<string, unknown>> {
  const bytes = ctx.payloads.unwrap(row.values);
  let values: unknown;
  try {
    values = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new StoreError("INTEGRITY", `memory block ${block}'s values are not JSON`, { cause: e, retryable: false });
  }
  if (!Array.isArray(values) || values.length !== row.keys.length) throw malformed(`${block} values`);
  return values;
}

/**
 * Decoded values of the blocks read last, for gets of packed items by a worker without a copy of
 * the items: each get would otherwise inflate and parse its whole block (a few hundred values).
 * Blocks never change once written and their numbers are not used again; the values' size and
 * checksum in the key also tell apart a block of a database emptied and filled anew.
 */
export class DecodedBlocks {
  private readonly blocks = new Map<string, Array<Record<string, unknown>>>();
  constructor(private readonly max = 8) {}

  values(ctx: EngineContext, row: BlockRow, block: number): Array<Record<string, unknown>> {
    const ref = row.values as unknown;
    if (!Array.isArray(ref)) return blockValues(ctx, row, block);
    const id = `${block}:${ref[0]}:${ref[1]}`;
    let values = this.blocks.get(id);
    if (values) this.blocks.delete(id);
    else values = blockValues(ctx, row, block);
    this.blocks.set(id, values);
    if (this.blocks.size > this.max) this.blocks.delete(this.blocks.keys().next().value!);
    return values;
  }
}

/** A block's values, decoded the first time one of them is asked for. */
class LazyValues {
  private values: Array<Record<string, unknown>> | undefined;
  constructor(
    private readonly ctx: EngineContext,
    private readonly row: BlockRow,
    private readonly block: number,
  ) {}
  at(slot: number): Record<string, unknown> {
    this.values ??= blockValues(this.ctx, this.row, this.block);
    return this.values[slot];
  }
}

/**
 * A packed item in the cache. Its value is decoded with its block's on first use: a search
 * with a filter reads every value, but one ranked by vectors alone reads only its results'.
 */
class PackedItem implements CachedItem {
  fields?: string[];
  vectors?: Float32Array;
  norms?: number[];
  ttl?: number;
  expiresAt?: number;
  constructor(
    readonly ns: string[],
    readonly key: string,
    readonly seq: number,
    readonly createdAt: number,
    readonly updatedAt: number,
    private readonly values: LazyValues,
    private readonly slot: number,
  ) {}
  get value(): Record<string, unknown> {
    return this.values.at(this.slot);
  }
}

/**
 * The block's slots as cached items, but those in `dead`: their vectors are views of the block's,
 * and `expiry` gives a slot the expiry an e row set since packing. Values are decoded when
 * first read, so a block whose values fail their checksum fails the search that reads them.
 */
export function blockItems(ctx: EngineContext, row: BlockRow, block: number, vectors: Float32Array | undefined, dead: (slot: number) => boolean, expiry: (slot: number) => number | undefined): CachedItem[] {
  const values = new LazyValues(ctx, row, block);
  const out: CachedItem[] = [];
  let f = 0;
  for (let i = 0; i < row.keys.length; i++) {
    const fields = row.fields[i];
    const first = f;
    if (fields) f += fields.length;
    if (dead(i)) continue;
    const ns = row.ns[row.at[i]];
    if (!Array.isArray(ns)) throw malformed(String(block));
    const item = new PackedItem(ns, row.keys[i], row.seq[i], row.created[i], row.updated[i], values, i);
    // Without the block's vectors (a copy loaded for filters only) the item carries no fields either.
    if (fields && vectors) {
      item.fields = fields;
      item.vectors = vectors.subarray(row.vec[i], row.vec[i + 1]);
      item.norms = Array.from(row.norms.subarray(first, f));
    }
    if (row.ttl[i]) {
      item.ttl = row.ttl[i];
      item.expiresAt = expiry(i) ?? row.exp[i];
    }
    out.push(item);
  }
  return out;
}
