import type { EngineContext } from "../context.js";
import type { ReadTx } from "../db.js";
import type { EncodedPayload } from "../payload/index.js";
import { StoreError } from "../../src/errors.js";
import type { CachedItem } from "./cache.js";
import { nsId, type BlockRow } from "./rows.js";

/**
 * Blocks of packed items (rows.ts): built from items by the packer, read back whole by a cold
 * load and slot by slot by a get. A block's values are one payload (a JSON array), so a cold
 * load decodes a few dozen payloads instead of one per item, and its vectors one Float32Array,
 * which the loaded items view without copying.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const malformed = (what: string) => new StoreError("INTEGRITY", `memory block ${what} is malformed`, { retryable: false });

/** A block made ready for writing: everything but its values' payload reference. */
export interface BuiltBlock {
  row: Omit<BlockRow, "values">;
  values: EncodedPayload;
  vectors: Float32Array;
  items: CachedItem[];
}

/** Builds one block of `items` (their values encoded through the payload module). */
export async function buildBlock(ctx: EngineContext, items: CachedItem[]): Promise<BuiltBlock> {
  const nsIndex = new Map<string, number>();
  const row: Omit<BlockRow, "values"> = { ns: [], at: [], keys: [], seq: [], created: [], updated: [], fields: [], ttl: [], exp: [], vec: [0] };
  let floats = 0;
  for (const item of items) floats += item.fields && item.vectors ? item.vectors.length : 0;
  const vectors = new Float32Array(floats);
  let at = 0;
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
      at += item.vectors.length;
    } else {
      row.fields.push(0);
    }
    row.vec.push(at);
  }
  const values = await ctx.payloads.encode(encoder.encode(JSON.stringify(items.map((i) => i.value))));
  return { row, values, vectors, items };
}

/** Checks a block row's shape: every column as long as its keys, offsets in order. */
export function checkBlock(row: unknown, block: number, vectors?: unknown): BlockRow {
  const b = row as BlockRow;
  const n = Array.isArray(b?.keys) ? b.keys.length : -1;
  const columns = [b?.at, b?.seq, b?.created, b?.updated, b?.fields, b?.ttl, b?.exp];
  if (n < 0 || !Array.isArray(b.ns) || columns.some((c) => !Array.isArray(c) || c.length !== n) || !Array.isArray(b.vec) || b.vec.length !== n + 1) throw malformed(String(block));
  if (vectors !== undefined) {
    if (!(vectors instanceof Float32Array)) throw malformed(`${block} vectors`);
    for (let i = 0; i < n; i++) if (!(b.vec[i] <= b.vec[i + 1])) throw malformed(String(block));
    if (b.vec[0] !== 0 || b.vec[n] !== vectors.length) throw malformed(String(block));
  }
  return b;
}

/** The block's values, in slot order. */
export async function blockValues(tx: ReadTx, ctx: EngineContext, row: BlockRow, block: number): Promise<Array<Record<string, unknown>>> {
  const bytes = await ctx.payloads.get(tx, row.values);
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
 * Slot `i` of a block as a cached item: its vectors are a view of the block's, and `expiresAt`
 * is the one an e row gave it when there is one.
 */
export function slotItem(row: BlockRow, i: number, value: Record<string, unknown>, vectors: Float32Array, expiresAt?: number): CachedItem {
  const ns = row.ns[row.at[i]];
  if (!Array.isArray(ns)) throw malformed("namespace");
  const item: CachedItem = { ns, key: row.keys[i], seq: row.seq[i], createdAt: row.created[i], updatedAt: row.updated[i], value };
  const fields = row.fields[i];
  if (fields) Object.assign(item, { fields, vectors: vectors.subarray(row.vec[i], row.vec[i + 1]) });
  if (row.ttl[i]) Object.assign(item, { ttl: row.ttl[i], expiresAt: expiresAt ?? row.exp[i] });
  return item;
}
