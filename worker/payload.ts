import { deflateSync, inflateSync } from "fflate";
import { StoreError } from "../src/errors.js";
import type { ReadTx, WriteTx } from "./db.js";
import { ChunkCache, LruSet } from "./chunk-cache.js";
import { crc32, crc32Combine } from "./chunk-hash.js";
import { chunk, type ChunkParams } from "./chunker.js";

/**
 * Payload bytes: the only module that knows how state bytes are laid out in the `blobs` store.
 * Stores see a narrow interface: `encode` (outside any transaction: hashing and compression are
 * CPU work that would hold a transaction open), `put` (encoded bytes in, reference out), `get`
 * (reference in, verified bytes out) and `release`.
 *
 * Layout. A payload of up to one chunk is one row, as it always was. A larger one is split into
 * content-defined chunks (worker/chunker.ts) and stored as a manifest row listing its chunks;
 * every chunk is stored once however many payloads contain it:
 *   <uuid>      single row {codec, raw, crc, data} or manifest {raw, crc, parts: [key, raw, crc][]}
 *   c:<key>     chunk bytes {codec, raw, crc, data}
 *   r:<key>     chunk reference count {refs, raw, crc}, apart from the bytes so counting a
 *               reference never reads or rewrites them
 * <key> is the chunk's 64-bit content name and length; should two different chunks ever share a
 * name, the later one is stored under <key>~1 (~2, ...): a chunk is reused only when length and
 * CRC match too, and every read checks each chunk's CRC and the whole payload's CRC.
 *
 * What to compress. `encode` runs before the write transaction and cannot see the database, so it
 * compresses every chunk this worker does not know to be stored (an LRU of chunk names it has
 * written or read). The other way, a read transaction to ask which chunks exist, costs one more
 * round trip on every save to spare compression work only in the rare case where the cache is
 * wrong. If it is wrong (another tab freed the chunk), `put` stores that chunk uncompressed: the
 * bytes are right, only a little larger.
 */

/** What a store keeps in its own rows to find a payload again. Plain data. */
export interface PayloadRef {
  /** Key of the payload's row in `blobs`. */
  id: string;
  /** Raw length in bytes. */
  size: number;
  /**
   * CRC-32 of the raw bytes. Binds the reference to its row: rows swapped behind the library's
   * back are each internally consistent, and only this tells them apart. Absent in older refs.
   */
  crc?: number;
}

/** A payload made ready for writing; opaque to the stores. */
export interface EncodedPayload {
  readonly size: number;
  /** Set for a payload stored as one row. */
  readonly row?: BlobRow;
  /** Set for a chunked payload. */
  readonly chunked?: { crc: number; parts: EncodedChunk[] };
}

interface EncodedChunk {
  name: string;
  raw: number;
  crc: number;
  /** The chunk's bytes; may be a view of the caller's buffer when `packed` is absent. */
  bytes: Uint8Array;
  /** Compressed (or raw when deflate does not gain) row data, when the chunk looked new. */
  packed?: { codec: 0 | 1; data: Uint8Array };
}

interface BlobRow {
  /** 0 = stored raw, 1 = deflate. */
  codec: 0 | 1;
  /** Raw length: bounds the inflate buffer, so a tampered row cannot inflate past it. */
  raw: number;
  /** CRC-32 of the raw bytes, checked on every read (fflate does not verify deflate streams). */
  crc: number;
  data: Uint8Array;
}

type Part = [key: string, raw: number, crc: number];

interface ManifestRow {
  raw: number;
  crc: number;
  parts: Part[];
}

interface RefRow {
  refs: number;
  raw: number;
  crc: number;
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
 * Chunk sizes. Small enough that a growing chat state stores little beyond its new messages per
 * version (the last chunk of every version is new), large enough that a 1 MiB state is a few
 * hundred rows. Changing them only costs sharing with what is already stored.
 */
export const DEFAULT_CHUNKS: ChunkParams = { min: 1024, avg: 4096, max: 65536 };

/** Below this, deflate's header costs more than it saves. */
const MIN_COMPRESS_BYTES = 64;

const CHUNK = "c:";
const REFS = "r:";

export class Payloads {
  readonly maxBytes: number;
  readonly chunkParams: ChunkParams;
  private readonly cache: ChunkCache;
  private readonly known = new LruSet(1 << 16);
  /**
   * Operations of one transaction run one after another: counting references is read, then
   * write, and two releases of payloads sharing a chunk (stores release in parallel) would
   * otherwise both read the same count.
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
    if (bytes.length <= this.chunkParams.avg) {
      // Copy so a caller reusing its buffer cannot change what is stored.
      const packed = pack(bytes);
      return { size: bytes.length, row: { ...packed, raw: bytes.length, crc: crc32(bytes) } };
    }
    let crc = 0;
    const parts = chunk(bytes, this.chunkParams).map((c): EncodedChunk => {
      const raw = c.end - c.start;
      crc = crc32Combine(crc, c.crc, raw);
      const view = bytes.subarray(c.start, c.end);
      const part: EncodedChunk = { name: c.name, raw, crc: c.crc, bytes: view };
      if (!this.known.has(c.name)) part.packed = pack(view);
      return part;
    });
    return { size: bytes.length, chunked: { crc, parts } };
  }

  put(tx: WriteTx, encoded: EncodedPayload): Promise<PayloadRef> {
    return this.serial(tx, async () => {
      const id = crypto.randomUUID();
      const blobs = tx.objectStore("blobs");
      let crc: number;
      if (encoded.row) {
        await blobs.put(encoded.row, id);
        crc = encoded.row.crc;
      } else if (encoded.chunked) {
        const parts = await this.storeChunks(tx, encoded.chunked.parts);
        const manifest: ManifestRow = { raw: encoded.size, crc: encoded.chunked.crc, parts };
        await blobs.put(manifest, id);
        crc = manifest.crc;
      } else {
        throw new TypeError("not an encoded payload");
      }
      return { id, size: encoded.size, crc };
    });
  }

  /** Reads only, so it needs no turn in the transaction's queue. */
  async get(tx: ReadTx, ref: PayloadRef): Promise<Uint8Array> {
    const row = (await tx.objectStore("blobs").get(ref.id)) as BlobRow | ManifestRow | undefined;
    if (ref.crc !== undefined && row && typeof row === "object" && row.crc !== ref.crc) {
      throw integrity(`payload ${ref.id} is not the one its reference names (checksum differs)`);
    }
    if (row && typeof row === "object" && Array.isArray((row as ManifestRow).parts)) {
      return this.assemble(tx, row as ManifestRow, ref);
    }
    return this.decodeRow(row as BlobRow | undefined, ref.id, ref.size);
  }

  /** Frees the payload's storage, and each of its chunks no other payload refers to. */
  release(tx: WriteTx, ref: PayloadRef): Promise<void> {
    return this.serial(tx, async () => {
      const blobs = tx.objectStore("blobs");
      const row = (await blobs.get(ref.id)) as BlobRow | ManifestRow | undefined;
      await blobs.delete(ref.id);
      if (!row || typeof row !== "object" || !Array.isArray((row as ManifestRow).parts)) return;
      const counts = new Map<string, number>();
      for (const [key] of (row as ManifestRow).parts) counts.set(key, (counts.get(key) ?? 0) + 1);
      await Promise.all(
        [...counts].map(async ([key, n]) => {
          const refs = (await blobs.get(REFS + key)) as RefRow | undefined;
          if (refs && refs.refs > n) {
            await blobs.put({ ...refs, refs: refs.refs - n }, REFS + key);
            return;
          }
          this.known.delete(nameOf(key));
          await Promise.all([blobs.delete(REFS + key), blobs.delete(CHUNK + key)]);
        }),
      );
    });
  }

  private serial<T>(tx: object, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(tx) ?? Promise.resolve()).then(fn, fn);
    this.queues.set(tx, run.catch(() => {}));
    return run;
  }

  /** Adds one reference per occurrence to each chunk, writing the chunks not stored yet. */
  private async storeChunks(tx: WriteTx, chunks: EncodedChunk[]): Promise<Part[]> {
    const blobs = tx.objectStore("blobs");
    // Same content (name, length and CRC) occurring several times counts once per occurrence.
    const unique = new Map<string, { chunk: EncodedChunk; n: number; key?: string }>();
    for (const c of chunks) {
      const id = `${c.name}/${c.crc}`;
      const u = unique.get(id);
      if (u) u.n++;
      else unique.set(id, { chunk: c, n: 1 });
    }
    const items = [...unique.values()];
    // The first probe of every chunk in parallel; a name collision falls back to probing in turn.
    const first = await Promise.all(items.map((u) => blobs.get(REFS + u.chunk.name) as Promise<RefRow | undefined>));
    const claimed = new Set<string>();
    const writes: Promise<unknown>[] = [];
    for (const [i, u] of items.entries()) {
      const c = u.chunk;
      for (let probe = 0; ; probe++) {
        const key = probe === 0 ? c.name : `${c.name}~${probe}`;
        const refs = probe === 0 ? first[i] : ((await blobs.get(REFS + key)) as RefRow | undefined);
        if (refs && refs.raw === c.raw && refs.crc === c.crc && !claimed.has(key)) {
          writes.push(blobs.put({ ...refs, refs: refs.refs + u.n }, REFS + key));
        } else if (!refs && !claimed.has(key)) {
          const packed = c.packed ?? { codec: 0 as const, data: c.bytes.slice() };
          const row: BlobRow = { codec: packed.codec, raw: c.raw, crc: c.crc, data: packed.data };
          writes.push(blobs.put(row, CHUNK + key), blobs.put({ refs: u.n, raw: c.raw, crc: c.crc } satisfies RefRow, REFS + key));
        } else {
          continue;
        }
        claimed.add(key);
        u.key = key;
        break;
      }
      this.known.add(c.name);
    }
    await Promise.all(writes);
    return chunks.map((c) => [unique.get(`${c.name}/${c.crc}`)!.key!, c.raw, c.crc]);
  }

  private async assemble(tx: ReadTx, m: ManifestRow, ref: PayloadRef): Promise<Uint8Array> {
    if (m.raw !== ref.size) throw integrity(`payload ${ref.id} has length ${m.raw}, its reference says ${ref.size}`);
    if (m.raw > this.maxBytes) throw tooLarge(`payload ${ref.id} claims ${m.raw} bytes, over the limit of ${this.maxBytes}`);
    let total = 0;
    for (const p of m.parts) {
      if (!Array.isArray(p) || typeof p[0] !== "string" || !Number.isSafeInteger(p[1]) || p[1] <= 0) {
        throw integrity(`payload ${ref.id} has a malformed chunk list`);
      }
      total += p[1];
    }
    if (total !== m.raw) throw integrity(`payload ${ref.id}: its chunks add up to ${total} bytes, not ${m.raw}`);
    const out = new Uint8Array(m.raw);
    const blobs = tx.objectStore("blobs");
    // Fetch every chunk missing from the cache at once; a repeated chunk is fetched once. Hits
    // are held here, since filling the cache below may evict them.
    const chunks = new Map<string, Uint8Array>();
    const pending = new Map<string, Promise<Uint8Array>>();
    for (const [key, raw, crc] of m.parts) {
      const ck = `${key}/${crc}`;
      if (chunks.has(ck) || pending.has(ck)) continue;
      const hit = this.cache.get(ck);
      if (hit) {
        chunks.set(ck, hit);
        continue;
      }
      pending.set(
        ck,
        (blobs.get(CHUNK + key) as Promise<BlobRow | undefined>).then((row) => {
          const bytes = this.decodeRow(row, `${ref.id} chunk ${key}`, raw);
          if (bytes.length !== raw || row!.crc !== crc) throw integrity(`payload ${ref.id}: chunk ${key} is not the one it lists`);
          this.cache.set(ck, bytes);
          this.known.add(nameOf(key));
          return bytes;
        }),
      );
    }
    await Promise.all([...pending].map(async ([ck, p]) => chunks.set(ck, await p)));
    let offset = 0;
    let crc = 0;
    for (const [key, raw, partCrc] of m.parts) {
      const ck = `${key}/${partCrc}`;
      const bytes = chunks.get(ck);
      if (!bytes || bytes.length !== raw) throw integrity(`payload ${ref.id}: chunk ${key} is missing`);
      out.set(bytes, offset);
      offset += raw;
      // Each chunk's bytes were checked against partCrc when read, so the whole payload's CRC
      // follows from the parts' CRCs.
      crc = crc32Combine(crc, partCrc, raw);
    }
    if (crc !== m.crc) throw integrity(`payload ${ref.id} fails its checksum`);
    return out;
  }

  private decodeRow(row: BlobRow | undefined, what: string, size: number): Uint8Array {
    if (!row || typeof row !== "object" || !(row.data instanceof Uint8Array)) {
      throw integrity(`payload ${what} is missing or malformed`);
    }
    if (row.raw !== size) throw integrity(`payload ${what} has length ${row.raw}, its reference says ${size}`);
    if (row.raw > this.maxBytes) throw tooLarge(`payload ${what} claims ${row.raw} bytes, over the limit of ${this.maxBytes}`);
    let bytes: Uint8Array;
    if (row.codec === 0) {
      bytes = row.data;
    } else if (row.codec === 1) {
      // A fixed output buffer of the recorded length: a stream that inflates further is cut off
      // there (and then fails the checksum) instead of growing memory without bound.
      try {
        bytes = inflateSync(row.data, { out: new Uint8Array(row.raw) });
      } catch (e) {
        throw integrity(`payload ${what} does not inflate`, e);
      }
    } else {
      throw integrity(`payload ${what} has an unknown codec`);
    }
    if (bytes.length !== row.raw || crc32(bytes) !== row.crc) throw integrity(`payload ${what} fails its checksum`);
    return bytes;
  }
}

/** Deflated when that gains at least 5%, else a copy of the raw bytes. */
function pack(bytes: Uint8Array): { codec: 0 | 1; data: Uint8Array } {
  if (bytes.length >= MIN_COMPRESS_BYTES) {
    const packed = deflateSync(bytes, { level: 6 });
    if (packed.length < bytes.length * 0.95) return { codec: 1, data: packed };
  }
  return { codec: 0, data: bytes.slice() };
}

/** The content name of a chunk key (a key may carry a ~n collision suffix). */
function nameOf(key: string): string {
  const tilde = key.indexOf("~");
  return tilde < 0 ? key : key.slice(0, tilde);
}

function integrity(message: string, cause?: unknown): StoreError {
  return new StoreError("INTEGRITY", message, { cause, retryable: false });
}

function tooLarge(message: string): StoreError {
  return new StoreError("PAYLOAD_TOO_LARGE", message, { retryable: false });
}

export { crc32 };
