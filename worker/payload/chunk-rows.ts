import { StoreError } from "../../src/errors.js";

/**
 * Rows of chunked payloads in `blobs` (chunk-store.ts counts references over them):
 *   c:<key>  chunk bytes {codec, raw, crc, data}, or a delta chunk {codec, raw, crc, data, base,
 *            keep}: the first `keep` bytes of the chunk `base` followed by `data`. The last chunk
 *            of a growing state (a chat) is new in every version but starts like the last chunk
 *            of the version before; a delta stores only what was added. A delta holds a
 *            reference to its base, and chains are at most MAX_CHAIN long.
 *   r:<key>  chunk reference count {refs, raw, crc, base?, depth?}, apart from the bytes so that
 *            counting never reads or rewrites them; `base` and `depth` mirror a delta's
 *   n:<key>  node {refs, raw, crc, level, kids}: a run of entries of the level below
 * An entry is [key, raw length, CRC-32 of the bytes it covers]. A key is a content name; should
 * two different contents ever share a name, the later one is stored under <name>~1 (~2, ...):
 * a row is reused only when its length and CRC (and, for nodes, level and entries) match.
 */

export type Entry = [key: string, raw: number, crc: number];

/** 0 = stored raw, 1 = deflate, 2 = deflate with the preset dictionary (deflate-dictionary.ts). */
export type Codec = 0 | 1 | 2;

export interface ChunkRow {
  codec: Codec;
  /** Raw length: bounds the inflate buffer, so a tampered row cannot inflate past it. */
  raw: number;
  /** CRC-32 of the raw bytes, checked on every read. */
  crc: number;
  /** The chunk's bytes, or for a delta the bytes after `keep`. */
  data: Uint8Array;
  /** A delta's base chunk. */
  base?: Entry;
  /** How many leading bytes of the base a delta starts with. */
  keep?: number;
}

export interface RefRow {
  refs: number;
  raw: number;
  crc: number;
  /** A delta's base key, so that freeing the delta frees its reference without reading bytes. */
  base?: string;
  /** Deltas between this chunk and a stored whole one: 0 or absent for a whole chunk. */
  depth?: number;
}

/**
 * Longest chain of deltas; a read follows at most this many bases. A chain grows by one with
 * each version until its chunk closes at a content-defined boundary (8 KiB chunks and 1 KiB
 * appends: about 8 versions), so this rarely forces a whole copy, and the worker's cache keeps
 * a thread's recent chunks.
 */
export const MAX_CHAIN = 16;

export interface NodeRow extends RefRow {
  level: number;
  kids: Entry[];
}

export const CHUNK = "c:";
export const REFS = "r:";
export const NODE = "n:";

export const prefixOf = (level: number) => (level === 0 ? REFS : NODE);

export function checkEntry(e: unknown, what: string): asserts e is Entry {
  if (!Array.isArray(e) || typeof e[0] !== "string" || !Number.isSafeInteger(e[1]) || e[1] <= 0 || !Number.isInteger(e[2])) {
    throw integrity(`payload ${what} has a malformed chunk list`);
  }
}

export function integrity(message: string, cause?: unknown): StoreError {
  return new StoreError("INTEGRITY", message, { cause, retryable: false });
}

/**
 * The `blobs` keys a row of that store leads to (for usage figures, which walk a payload's rows
 * without decoding them): a payload's top row or a node to its entries' nodes or chunks (with
 * their reference counts), a delta chunk to its base. `key` tells a node from a payload's row.
 */
export function blobLinks(key: string, row: unknown): string[] {
  if (typeof row !== "object" || row === null) return [];
  const r = row as Partial<NodeRow & ChunkRow>;
  if (Array.isArray(r.kids) && typeof r.level === "number") {
    const level = key.startsWith(NODE) ? r.level - 1 : r.level;
    const keys = r.kids.filter((k) => Array.isArray(k) && typeof k[0] === "string").map((k) => k[0]);
    return level === 0 ? keys.flatMap((k) => [CHUNK + k, REFS + k]) : keys.map((k) => NODE + k);
  }
  if (Array.isArray(r.base) && typeof r.base[0] === "string") return [CHUNK + r.base[0], REFS + r.base[0]];
  return [];
}
