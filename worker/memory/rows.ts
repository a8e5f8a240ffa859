import { MAX_KEY, type Key } from "../db.js";
import type { PayloadRef } from "../payload.js";

/**
 * Rows of the memory store, all in `meta` under keys starting with "m":
 *   ["m", "c"]                          -> Counter: the store's version (bumped by every write
 *                                          transaction, so a worker knows whether its cache is
 *                                          current with one get) and the next sequence number
 *   ["m", "n", namespace]               -> the namespace's sequence number: the order in which
 *                                          namespaces were first written (since last emptied)
 *   ["m", "i", namespace, key]          -> ItemRow
 *   ["m", "x", expiresAt, namespace, key] -> 0: items by expiry, so a sweep reads only the expired
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

export const counterKey = (): Key => [M, "c"];
export const nsKey = (ns: string[]): Key => [M, "n", ns];
export const itemKey = (ns: string[], key: string): Key => [M, "i", ns, key];
export const expiryKey = (at: number, ns: string[], key: string): Key => [M, "x", at, ns, key];

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
