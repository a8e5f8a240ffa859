import { deflateSync, inflateSync } from "fflate";
import { DEFLATE_DICTIONARY } from "./deflate-dictionary.js";
import { StoreError } from "../src/errors.js";
import { settled, type ReadTx, type WriteTx } from "./db.js";
import { ChunkCache, LruSet } from "./chunk-cache.js";
import { crc32, crc32Combine } from "./chunk-hash.js";
import { chunkPaced, type Chunk, type ChunkParams } from "./chunker.js";
import { buildTree, type TreeEntry } from "./chunk-tree.js";
import { pacer } from "./pacer.js";
import { CHUNK, MAX_CHAIN, checkEntry, integrity, readTree, releaseTree, storeTree, type ChunkRow, type Entry } from "./chunk-store.js";

/**
 * Payload bytes: the only module that knows how state bytes are laid out in the `blobs` store.
 * Stores see a narrow interface: `encode` (outside any transaction: hashing and compression are
 * CPU work that would hold a transaction open), `put` (encoded bytes in, reference out), `get`
 * (reference in, verified bytes out) and `release`.
 *
 * Layout. A payload of up to the minimum chunk size is packed once (deflated where that pays):
 * packed into at most INLINE_MAX bytes it lives in its reference, else in one row {codec, raw,
 * crc, data}. A larger one is split into content-defined chunks (worker/chunker.ts) whose list
 * is a tree of shared nodes (worker/chunk-tree.ts); its own row is {raw, crc, level, kids}, the
 * top of that tree. Chunks and nodes are stored once however many payloads contain them, with reference
 * counts (worker/chunk-store.ts), so a new version of a state stores only what changed.
 *
 * Growing states. Appending to a state changes its last chunk, and content-defined boundaries
 * cannot help there: the end of the data is a boundary. So the worker remembers the last chunk
 * of each payload it encodes (by the chunk before it), and a new chunk that starts with most of
 * such a chunk is stored as a delta: that chunk's key, how many of its bytes to keep, and the
 * new bytes (worker/chunk-store.ts). A chat then stores each message about once, whatever the
 * chunk size.
 *
 * What to compress. `encode` runs before the write transaction and cannot see the database, so it
 * compresses every chunk this worker does not know to be stored (an LRU of chunk names it has
 * written or read). The alternative, a read transaction to ask which chunks exist, costs one more
 * round trip on every save to spare compression work only when the cache is wrong. When it is
 * wrong (another tab freed the chunk), `put` compresses that chunk inside the transaction.
 */

/**
 * What a store keeps in its own rows to find a payload again: [raw length, CRC-32 of the raw
 * bytes, key of the payload's row in `blobs` or the payload itself, its codec when deflated].
 * A tuple, since one sits in nearly every row a store writes. The CRC binds the reference to its
 * row: rows swapped behind the library's back are each internally consistent, and only this
 * tells them apart. A payload whose stored form is at most INLINE_MAX bytes travels in the
 * reference: a row of its own would cost a key, the row's fields, the key again here and a
 * request on every read and delete, about as much as a checkpoint's header holds.
 */
export type PayloadRef = [size: number, crc: number, where: string | Uint8Array, codec?: 1 | 2];

/** A reference taken apart; also the object form references had in the first layout. */
interface RefParts {
  /** Key of the payload's row in `blobs`; empty when inline. */
  id: string;
  size: number;
  /** Absent in the oldest references. */
  crc?: number;
  inline?: Uint8Array;
  codec?: 1 | 2;
}

/** The parts of a reference of either layout, checked: a malformed one is INTEGRITY. */
function partsOf(ref: PayloadRef | RefParts): RefParts {
  let parts: RefParts | undefined;
  if (Array.isArray(ref)) {
    const [size, crc, where, codec] = ref;
    if (typeof crc === "number" && typeof where === "string") parts = { id: where, size, crc, codec };
    if (typeof crc === "number" && where instanceof Uint8Array) parts = { id: "", size, crc, inline: where, codec };
  } else if (ref && typeof ref === "object" && typeof ref.id === "string") {
    parts = ref;
  }
  const ok =
    parts !== undefined &&
    Number.isSafeInteger(parts.size) &&
    parts.size >= 0 &&
    (parts.crc === undefined ? parts.inline === undefined : typeof parts.crc === "number") &&
    (parts.inline === undefined || parts.inline instanceof Uint8Array) &&
    (parts.codec === undefined || parts.codec === 1 || parts.codec === 2);
  if (!ok) throw integrity("a payload reference is malformed");
  return parts!;
}

/** A payload made ready for writing; opaque to the stores. */
export interface EncodedPayload {
  readonly size: number;
  /** Set for a payload stored as one row. */
  readonly row?: ChunkRow;
  /** Set for a chunked payload: the top of its tree. */
  readonly tree?: { crc: number; level: number; kids: TreeEntry[] };
}

interface ManifestRow {
  raw: number;
  crc: number;
  /** Level of the entries in kids: 0 = chunks. */
  level: number;
  kids: Entry[];
}

export interface PayloadOptions {
  /** Largest payload accepted on write or inflated on read. */
  maxBytes?: number;
  /** Chunk sizes; payloads up to `avg` bytes stay one row. */
  chunks?: ChunkParams;
  /** Budget of the worker's cache of decompressed chunks. */
  cacheBytes?: number;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/**
 * Chunk sizes, chosen by measurement (npm run bench). Every chunk costs rows and requests, so
 * larger chunks make a 1 MiB save with its last 10% changed cheaper; before delta chunks the
 * new last chunk of every version of a growing state made smaller ones store much less (200-turn
 * chat: 2 KiB chunks 1.06 MiB of blobs, 8 KiB 1.85), and with them the size matters little.
 * Payloads up to `min` stay one row. Changing the sizes later only costs sharing with what is
 * already stored.
 */
export const DEFAULT_CHUNKS: ChunkParams = { min: 2048, avg: 8192, max: 65536 };

/** A delta must keep at least this much of its base, and a quarter of its own length. */
const MIN_DELTA_KEEP = 256;

/** Below this, deflate's header costs more than it saves. */
const MIN_COMPRESS_BYTES = 64;

/** How many leading bytes find a recent payload to resume chunking from. */
const HEAD_BYTES = 4096;

/**
 * Payloads whose stored (deflated or raw) form is at most this many bytes travel inside their
 * reference, in the store's own row. Larger ones keep rows of their own, so that the stores'
 * rows stay small enough to scan.
 */
export const INLINE_MAX = 1024;

const isManifest = (row: unknown): row is ManifestRow => typeof row === "object" && row !== null && Array.isArray((row as ManifestRow).kids);

export class Payloads {
  readonly maxBytes: number;
  readonly chunkParams: ChunkParams;
  private readonly cache: ChunkCache;
  /**
   * Names of chunks and list nodes this worker wrote or read: probably stored. Encode skips
   * compressing such chunks; put does not read ahead below such nodes.
   */
  private readonly known = new LruSet(1 << 16);
  /** The last chunk of recently encoded payloads, by the name of the chunk before it. */
  private readonly tails = new ChunkCache<TreeEntry>(4 * 1024 * 1024);
  /** Recently encoded payloads (a copy) and their chunks, by a checksum of their first bytes. */
  private readonly recent = new ChunkCache<{ raw: number; bytes: Uint8Array; chunks: Chunk[] }>(8 * 1024 * 1024);
  /**
   * Writes of one transaction run one after another: counting references is read, then write,
   * and two releases of payloads sharing a chunk (stores release in parallel) would otherwise
   * both read the same count.
   */
  private readonly queues = new WeakMap<object, Promise<unknown>>();

  constructor(options: PayloadOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.chunkParams = options.chunks ?? DEFAULT_CHUNKS;
    this.cache = new ChunkCache(options.cacheBytes ?? 16 * 1024 * 1024);
  }

  /** Throws PAYLOAD_TOO_LARGE before any work when the bytes exceed the cap. */
  checkSize(bytes: Uint8Array): void {
    if (bytes.length > this.maxBytes) throw tooLarge(`payload of ${bytes.length} bytes exceeds the limit of ${this.maxBytes}`);
  }

  async encode(bytes: Uint8Array): Promise<EncodedPayload> {
    this.checkSize(bytes);
    if (bytes.length <= this.chunkParams.min) {
      return { size: bytes.length, row: { ...pack(bytes), raw: bytes.length, crc: crc32(bytes) } };
    }
    let crc = 0;
    const pause = pacer();
    const list = await this.chunkList(bytes, pause);
    const names = new Set(list.map((c) => c.name));
    const chunks: TreeEntry[] = [];
    for (let i = 0; i < list.length; i++) {
      await pause();
      chunks.push(this.encodeChunk(bytes, list, i, names));
    }
    for (const e of chunks) crc = crc32Combine(crc, e.crc, e.raw);
    const last = chunks[chunks.length - 1];
    const depth = last.delta ? (last.delta.base.depth ?? 0) + 1 : 0;
    this.tails.set(chunks.length === 1 ? "" : chunks[chunks.length - 2].name, { name: last.name, raw: last.raw, crc: last.crc, level: 0, bytes: last.bytes!.slice(), depth });
    return { size: bytes.length, tree: { crc, ...buildTree(chunks) } };
  }

  /** Chunk `i` of `list` as a tree entry, packed or as a delta unless believed stored. */
  private encodeChunk(bytes: Uint8Array, list: Chunk[], i: number, names: Set<string>): TreeEntry {
    const c = list[i];
    const raw = c.end - c.start;
    const view = bytes.subarray(c.start, c.end);
    const e: TreeEntry = { name: c.name, raw, crc: c.crc, level: 0, bytes: view };
    if (this.known.has(c.name)) return e;
    // Packed data is a copy (or deflated), so a caller reusing its buffer cannot change it.
    const base = this.tails.get(i === 0 ? "" : list[i - 1].name);
    if (base && base.name !== c.name && !names.has(base.name) && (base.depth ?? 0) < MAX_CHAIN) {
      const keep = commonPrefix(base.bytes!, view);
      if (keep >= MIN_DELTA_KEEP && keep * 4 >= raw) {
        e.delta = { base, keep, packed: pack(view.subarray(keep)) };
        return e;
      }
    }
    e.packed = pack(view);
    return e;
  }

  /**
   * The chunks of `bytes`. A new version of a state mostly starts like the one before it: when a
   * recent payload begins with the same bytes, its chunks up to the first differing byte are
   * taken as they are (a chunk's end depends only on its own bytes; the last one, cut by the end
   * of the data, is not), and hashing resumes there. Comparing bytes is several times cheaper
   * than hashing them.
   */
  private async chunkList(bytes: Uint8Array, pause: () => Promise<void> | undefined): Promise<Chunk[]> {
    const head = String(crc32(bytes, 0, Math.min(bytes.length, HEAD_BYTES)));
    const prev = this.recent.get(head);
    const kept: Chunk[] = [];
    if (prev) {
      const same = commonPrefix(prev.bytes, bytes);
      for (const c of prev.chunks) {
        if (c.end > same || c.end === prev.bytes.length) break;
        kept.push(c);
      }
    }
    const list = kept.concat(await chunkPaced(bytes, this.chunkParams, kept.length > 0 ? kept[kept.length - 1].end : 0, pause));
    // A copy: a caller of the engine on the page may reuse its buffer.
    this.recent.set(head, { raw: bytes.length, bytes: bytes.slice(), chunks: list });
    return list;
  }

  put(tx: WriteTx, encoded: EncodedPayload): Promise<PayloadRef> {
    return this.serial(tx, async () => {
      if (encoded.row && encoded.row.data.length <= INLINE_MAX) {
        const ref: PayloadRef = [encoded.size, encoded.row.crc, encoded.row.data];
        if (encoded.row.codec !== 0) ref.push(encoded.row.codec);
        return ref;
      }
      const id = newId();
      const blobs = tx.objectStore("blobs");
      let crc: number;
      if (encoded.row) {
        settled(blobs.put(encoded.row, id));
        crc = encoded.row.crc;
      } else if (encoded.tree) {
        const { level, kids } = encoded.tree;
        crc = encoded.tree.crc;
        // A chunk not packed by encode (believed stored, or a delta whose base cannot serve) is
        // packed here, inside the transaction: rare, and storage outlives the wait.
        const top = await storeTree(
          tx,
          kids,
          (e) => {
            const packed = e.packed ?? pack(e.bytes!);
            return { codec: packed.codec, raw: e.raw, crc: e.crc, data: packed.data };
          },
          (e) => this.known.has(e.name),
        );
        settled(blobs.put({ raw: encoded.size, crc, level, kids: top } satisfies ManifestRow, id));
        for (const e of entries(kids)) this.known.add(e.name);
      } else {
        throw new TypeError("not an encoded payload");
      }
      return [encoded.size, crc, id];
    });
  }

  /** Reads only, so it needs no turn in the transaction's queue. */
  async get(tx: ReadTx, stored: PayloadRef): Promise<Uint8Array> {
    const ref = partsOf(stored);
    if (ref.inline !== undefined) {
      if (ref.inline.length > INLINE_MAX) throw integrity("an inline payload is malformed");
      return this.decodeRow({ codec: ref.codec ?? 0, data: ref.inline, raw: ref.size, crc: ref.crc! }, "inline", ref.size);
    }
    const row = (await tx.objectStore("blobs").get(ref.id)) as ChunkRow | ManifestRow | undefined;
    if (ref.crc !== undefined && row && typeof row === "object" && row.crc !== ref.crc) {
      throw integrity(`payload ${ref.id} is not the one its reference names (checksum differs)`);
    }
    if (isManifest(row)) return this.assemble(tx, row, ref);
    return this.decodeRow(row, ref.id, ref.size);
  }

  /** Frees the payload's storage, and each chunk and node no other payload refers to. */
  release(tx: WriteTx, stored: PayloadRef): Promise<void> {
    const ref = partsOf(stored);
    if (ref.inline !== undefined) return Promise.resolve();
    return this.serial(tx, async () => {
      const blobs = tx.objectStore("blobs");
      const row = (await blobs.get(ref.id)) as ChunkRow | ManifestRow | undefined;
      await blobs.delete(ref.id);
      if (!isManifest(row)) return;
      for (const key of await releaseTree(tx, row.level, row.kids)) this.known.delete(nameOf(key));
    });
  }

  private serial<T>(tx: object, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(tx) ?? Promise.resolve()).then(fn, fn);
    this.queues.set(tx, run.catch(() => {}));
    return run;
  }

  private async assemble(tx: ReadTx, m: ManifestRow, ref: RefParts): Promise<Uint8Array> {
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
    // Fetch every chunk missing from the cache at once; a repeated chunk is fetched once. Hits
    // are held here, since filling the cache below may evict them.
    const chunks = new Map<string, Uint8Array>();
    const pending = new Map<string, Promise<Uint8Array>>();
    for (const [key, raw, partCrc] of parts) {
      const ck = `${key}/${partCrc}`;
      if (!chunks.has(ck) && !pending.has(ck)) pending.set(ck, this.readChunk(tx, [key, raw, partCrc], ref.id, 0));
    }
    await Promise.all([...pending].map(async ([ck, p]) => chunks.set(ck, await p)));
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
    return bytes;
  }

  private decodeRow(row: ChunkRow | undefined, what: string, size: number): Uint8Array {
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

/** Every entry of a tree, nodes and chunks. */
function* entries(list: TreeEntry[]): Generator<TreeEntry> {
  for (const e of list) {
    yield e;
    if (e.kids) yield* entries(e.kids);
  }
}

/** 96 random bits in base 36: unique enough for row keys, half the length of a UUID. */
function newId(): string {
  const r = crypto.getRandomValues(new Uint32Array(3));
  return Array.from(r, (x) => x.toString(36).padStart(7, "0")).join("");
}

/**
 * Deflated with the preset dictionary (codec 2) when that gains at least 5%, else a copy of the
 * raw bytes. Codec 1, deflate without it, is still read.
 */
function pack(bytes: Uint8Array): { codec: 0 | 2; data: Uint8Array } {
  if (bytes.length >= MIN_COMPRESS_BYTES) {
    const packed = deflateSync(bytes, { level: 6, dictionary: DEFLATE_DICTIONARY });
    if (packed.length < bytes.length * 0.95) return { codec: 2, data: packed };
  }
  return { codec: 0, data: bytes.slice() };
}

/** Length of the common start of two byte arrays; four bytes at a time where both align. */
function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  if (n >= 64 && a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = n >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset, words);
    const wb = new Uint32Array(b.buffer, b.byteOffset, words);
    let w = 0;
    while (w < words && wa[w] === wb[w]) w++;
    i = w * 4;
  }
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** The content name of a chunk key (a key may carry a ~n collision suffix). */
function nameOf(key: string): string {
  const tilde = key.indexOf("~");
  return tilde < 0 ? key : key.slice(0, tilde);
}

function tooLarge(message: string): StoreError {
  return new StoreError("PAYLOAD_TOO_LARGE", message, { retryable: false });
}

export { crc32 };
