import { MAX_KEY, type Key } from "../db.js";
import type { PayloadRef } from "../payload/index.js";

/**
 * Rows of the memory store, all in `meta` under keys starting with "m":
 *   ["m", "c"]                          -> Counter: the store's version (bumped by every write
 *                                          transaction, so a worker knows whether its cache is
 *                                          current with one get) and the next sequence number
 *   ["m", "n", namespace]               -> the namespace's sequence number: the order in which
 *                                          namespaces were first written (since last emptied)
 *   ["m", "i", namespace, key]          -> ItemRow
 *   ["m", "x", expiresAt, namespace, key] -> 0: items by expiry, so a sweep reads only the expired
 * Packed items (worker/memory/packer.ts): a cold search would otherwise read one row per item,
 * and with 10,000 items the rows alone cost more than the search may take. So items are moved,
 * in idle time, into blocks of a few hundred, and an item lives in exactly one of an item row
 * or a block:
 *   ["m", "p", namespace, key]          -> Packed: where a packed item is, and what a write needs
 *                                          (sequence number, creation, expiry) without the block
 *   ["m", "b", block]                   -> BlockRow: its items' keys, times, fields, vector
 *                                          magnitudes and, as one payload, their values
 *   ["m", "v", block]                   -> its items' vectors end to end, float32: a Blob, or
 *                                          a Float32Array where the engine keeps no Blob
 *   ["m", "d", block, slot]             -> 0: the slot's item was deleted or replaced since
 *   ["m", "e", block, slot]             -> expiresAt: the slot's item's ttl was extended since
 *   ["m", "k"]                          -> the next block number (moved on by every packing)
 * Blocks are never changed once written (a packing writes new ones and drops old ones whole), so
 * a reader can take one as it is; the d and e rows say what changed since. A cold load reads the
 * blocks, their d and e rows and the item rows, never the p rows.
 * A namespace is an array of labels inside the key, so one range holds a namespace and, sorted
 * right after it, its descendants.
 */
export const M = "m";

export type Counter = [version: number, nextSeq: number];

/**
 * An item: [sequence number (insertion order, kept on update), created, updated (ms), value's
 * payload reference (JSON, through the payload module), embedded fields, their vectors end to
 * end (Float32Array, dims = length / fields), ttl in minutes, expiry time (ms)]. A tuple: one
 * sits in every item row.
 */
export type ItemRow = [seq: number, createdAt: number, updatedAt: number, ref: PayloadRef, fields?: string[], vectors?: Float32Array, ttl?: number, expiresAt?: number];

/**
 * A packed item's pointer: [block, slot in it, sequence number, created, ttl, expiry]. The
 * expiry here is the item's own (a refresh updates it, and writes an e row for cold loads).
 */
export type Packed = [block: number, slot: number, seq: number, createdAt: number, ttl?: number, expiresAt?: number];

/**
 * A block of packed items, by column (slot i is the i-th entry of each). `ns` lists the block's
 * namespaces once; `at` says whose each slot is. `vec` holds each slot's start in the block's
 * vectors and one end offset more; a slot without vectors starts where the next one does.
 */
export interface BlockRow {
  ns: string[][];
  at: number[];
  keys: string[];
  seq: number[];
  created: number[];
  updated: number[];
  /** The embedded fields of each slot, 0 when none. */
  fields: Array<string[] | 0>;
  /** 0 when the item has no ttl. */
  ttl: number[];
  /** The expiry when packed, 0 when none. */
  exp: number[];
  vec: number[];
  /** Magnitude of each field's vector, slot after slot. */
  norms: Float64Array;
  /** The slots' values, a JSON array, kept in this row (Payloads.wrap). */
  values: PayloadRef;
}

export const counterKey = (): Key => [M, "c"];
export const nsKey = (ns: string[]): Key => [M, "n", ns];
export const itemKey = (ns: string[], key: string): Key => [M, "i", ns, key];
export const expiryKey = (at: number, ns: string[], key: string): Key => [M, "x", at, ns, key];

export const packedKey = (ns: string[], key: string): Key => [M, "p", ns, key];
export const blockKey = (block: number): Key => [M, "b", block];
export const vectorsKey = (block: number): Key => [M, "v", block];
export const deadKey = (block: number, slot: number): Key => [M, "d", block, slot];
export const extendedKey = (block: number, slot: number): Key => [M, "e", block, slot];
export const nextBlockKey = (): Key => [M, "k"];

/** Every row of one kind ("b", "v", "d", "e", "p", "i"). */
export const allOf = (kind: string): IDBKeyRange => IDBKeyRange.bound([M, kind], [M, kind, MAX_KEY]);
/** The d or e rows of one block. */
export const slotsOf = (kind: "d" | "e", block: number): IDBKeyRange => IDBKeyRange.bound([M, kind, block], [M, kind, block, MAX_KEY]);
/** The packed items of exactly this namespace. */
export const packedOf = (ns: string[]): IDBKeyRange => IDBKeyRange.bound([M, "p", ns], [M, "p", ns, MAX_KEY]);

/** Every namespace row. */
export const allNamespaces = (): IDBKeyRange => IDBKeyRange.bound([M, "n"], [M, "n", MAX_KEY]);
/** Every item row. */
export const allItems = (): IDBKeyRange => IDBKeyRange.bound([M, "i"], [M, "i", MAX_KEY]);
/** The items of exactly this namespace (not its descendants). */
export const itemsOf = (ns: string[]): IDBKeyRange => IDBKeyRange.bound([M, "i", ns], [M, "i", ns, MAX_KEY]);
/** Expiry rows of items expired at `now`. */
export const expiredBy = (now: number): IDBKeyRange => IDBKeyRange.bound([M, "x"], [M, "x", now, MAX_KEY]);

/** A string that tells namespaces apart (labels never hold NUL). */
export const nsId = (ns: readonly string[]): string => ns.join("\0");
