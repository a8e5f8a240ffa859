import { inflateSync } from "fflate";
import { DEFLATE_DICTIONARY } from "./deflate-dictionary.js";
import { StoreError } from "../../src/errors.js";
import type { ReadTx } from "../db.js";
import type { ChunkCache, LruSet } from "./chunk-cache.js";
import { crc32, crc32Combine } from "./chunk-hash.js";
import { CHUNK, MAX_CHAIN, checkEntry, integrity, type ChunkRow, type Entry } from "./chunk-rows.js";
import { readTree } from "./chunk-store.js";
import type { Compactor } from "./compactor.js";
import { MIN_COMPRESS_BYTES } from "./pack.js";
import type { RefParts } from "./refs.js";
import { inWindow } from "./request-window.js";

/**
 * The read side of payloads: a chunked payload assembled from its chunk tree, each chunk from the
 * worker's cache or its row (a delta after its base), every row checked against its length and
 * CRC, and inflating bounded by the recorded length.
 */

export interface ManifestRow {
  raw: number;
  crc: number;
  /** Level of the entries in kids: 0 = chunks. */
  level: number;
  kids: Entry[];
}

export const isManifest = (row: unknown): row is ManifestRow => typeof row === "object" && row !== null && Array.isArray((row as ManifestRow).kids);

/**
 * Payloads assembled from their chunks for one read, referenced by nothing in the worker (the
 * cache holds chunks, never a whole payload): the worker may hand such an array's buffer to the
 * page without copying it (worker/main.ts).
 */
const unshared = new WeakSet<Uint8Array>();

/** Whether `bytes` is a payload assembled for one read that nothing else in the worker holds. */
export const isUnshared = (bytes: Uint8Array): boolean => unshared.has(bytes);

export class PayloadReader {
  constructor(
    private readonly maxBytes: number,
    private readonly cache: ChunkCache,
    private readonly known: LruSet,
    private readonly compactor: Compactor | undefined,
    private readonly requestWindow: number,
  ) {}

  async assemble(tx: ReadTx, m: ManifestRow, ref: RefParts): Promise<Uint8Array> {
    if (m.raw !== ref.size) throw integrity(`payload ${ref.id} has length ${m.raw}, its reference says ${ref.size}`);
    if (m.raw > this.maxBytes) throw tooLarge(`payload ${ref.id} claims ${m.raw} bytes, over the limit of ${this.maxBytes}`);
    if (!Number.isSafeInteger(m.level) || m.level < 0 || m.level > 32) throw integrity(`payload ${ref.id} has a malformed chunk list`);
    let total = 0;
    let crc = 0;
    for (const e of m.kids) {
      checkEntry(e, ref.id);
      total += e[1];
      crc = crc32Combine(crc, e[2], e[1]);
    }
    if (total !== m.raw || crc !== m.crc) throw integrity(`payload ${ref.id}: its chunk list does not add up`);
    const parts = await readTree(tx, m.level, m.kids, ref.id);
    const out = new Uint8Array(m.raw);
    // Fetch the chunks, requestWindow at a time (request-window.ts); a repeated chunk is fetched
    // once. Hits are held here, since filling the cache below may evict them.
    const chunks = new Map<string, Uint8Array>();
    const wanted = new Map<string, Entry>();
    for (const [key, raw, partCrc] of parts) wanted.set(`${key}/${partCrc}`, [key, raw, partCrc]);
    await inWindow([...wanted], this.requestWindow, async ([ck, entry]) => void chunks.set(ck, await this.readChunk(tx, entry, ref.id, 0)));
    let offset = 0;
    crc = 0;
    for (const [key, raw, partCrc] of parts) {
      const bytes = chunks.get(`${key}/${partCrc}`);
      if (!bytes || bytes.length !== raw) throw integrity(`payload ${ref.id}: chunk ${key} is missing`);
      out.set(bytes, offset);
      offset += raw;
      // Each chunk's bytes were checked against partCrc when read, so the whole payload's CRC
      // follows from the parts' CRCs.
      crc = crc32Combine(crc, partCrc, raw);
    }
    if (offset !== m.raw || crc !== m.crc) throw integrity(`payload ${ref.id} fails its checksum`);
    unshared.add(out);
    return out;
  }

  /**
   * A chunk's verified bytes, from the cache or its row; a delta's base first (at most
   * MAX_CHAIN deep, so a tampered cycle of bases ends in INTEGRITY).
   */
  private async readChunk(tx: ReadTx, [key, raw, crc]: Entry, payload: string, depth: number): Promise<Uint8Array> {
    const ck = `${key}/${crc}`;
    const hit = this.cache.get(ck);
    if (hit) return hit;
    const what = `${payload} chunk ${key}`;
    const row = (await tx.objectStore("blobs").get(CHUNK + key)) as ChunkRow | undefined;
    let bytes: Uint8Array;
    if (row && typeof row === "object" && row.base !== undefined) {
      const { base, keep } = row;
      if (depth >= MAX_CHAIN) throw integrity(`payload ${what} is a chain of deltas longer than ${MAX_CHAIN}`);
      checkEntry(base, what);
      if (!Number.isSafeInteger(keep) || keep! <= 0 || keep! > base[1] || keep! > raw || row.raw !== raw) throw integrity(`payload ${what} is a malformed delta`);
      const start = await this.readChunk(tx, base, payload, depth + 1);
      bytes = new Uint8Array(raw);
      bytes.set(start.subarray(0, keep));
      bytes.set(this.decode(row, what, raw - keep!), keep);
      if (crc32(bytes) !== row.crc) throw integrity(`payload ${what} fails its checksum`);
    } else {
      bytes = this.decodeRow(row, what, raw);
    }
    if (row!.crc !== crc) throw integrity(`payload ${payload}: chunk ${key} is not the one it lists`);
    this.cache.set(ck, bytes);
    this.known.add(nameOf(key));
    // A raw row left by a save whose compaction never ran (the worker ended first).
    if (row!.codec === 0 && row!.data.length >= MIN_COMPRESS_BYTES) this.compactor?.add(key, row!.data.length);
    return bytes;
  }

  decodeRow(row: ChunkRow | undefined, what: string, size: number): Uint8Array {
    if (row?.raw !== size) throw integrity(`payload ${what} has length ${row?.raw}, its reference says ${size}`);
    const bytes = this.decode(row, what, size);
    if (crc32(bytes) !== row.crc) throw integrity(`payload ${what} fails its checksum`);
    return bytes;
  }

  /** The row's data decoded to exactly `size` bytes (a whole row, or a delta's new bytes). */
  private decode(row: ChunkRow | undefined, what: string, size: number): Uint8Array {
    if (!row || typeof row !== "object" || !(row.data instanceof Uint8Array)) {
      throw integrity(`payload ${what} is missing or malformed`);
    }
    if (size > this.maxBytes) throw tooLarge(`payload ${what} claims ${size} bytes, over the limit of ${this.maxBytes}`);
    let bytes: Uint8Array;
    if (row.codec === 0) {
      bytes = row.data;
    } else if (row.codec === 1 || row.codec === 2) {
      // Deflate is kept only where it shrinks the bytes, so a stream at least as long as its raw
      // length is not ours; refusing it bounds the inflate work of a planted bomb to ~1032x raw
      // (fflate keeps decoding a stream past its fixed output buffer).
      if (row.data.length >= size) throw integrity(`payload ${what} has a compressed stream longer than its bytes`);
      // A fixed output buffer of the recorded length: a stream that inflates further is cut off
      // there (and then fails the checksum) instead of growing memory without bound.
      try {
        bytes = inflateSync(row.data, { out: new Uint8Array(size), dictionary: row.codec === 2 ? DEFLATE_DICTIONARY : undefined });
      } catch (e) {
        throw integrity(`payload ${what} does not inflate`, e);
      }
    } else {
      throw integrity(`payload ${what} has an unknown codec`);
    }
    if (bytes.length !== size) throw integrity(`payload ${what} fails its checksum`);
    return bytes;
  }
}

/** The content name of a chunk key (a key may carry a ~n collision suffix). */
export function nameOf(key: string): string {
  const tilde = key.indexOf("~");
  return tilde < 0 ? key : key.slice(0, tilde);
}

export function tooLarge(message: string): StoreError {
  return new StoreError("PAYLOAD_TOO_LARGE", message, { retryable: false });
}
