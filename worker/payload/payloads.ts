import { settled, type Database, type ReadTx, type WriteTx } from "../db.js";
import { Compactor, type CompactorOptions } from "./compactor.js";
import { pack, packLater } from "./pack.js";
import { ChunkCache, LruSet } from "./chunk-cache.js";
import { OwedRefs } from "./owed-refs.js";
import { crc32, crc32Combine } from "./chunk-hash.js";
import type { ChunkParams } from "./chunker.js";
import { RecentChunks } from "./recent-chunks.js";
import { pacer } from "../pacer.js";
import { buildTree, type TreeEntry } from "./chunk-tree.js";
import { MAX_CHAIN, integrity, type ChunkRow } from "./chunk-rows.js";
import { releaseTree, storeTree } from "./chunk-store.js";
import { INLINE_MAX, partsOf, type PayloadRef } from "./refs.js";
import { PayloadReader, isManifest, nameOf, tooLarge, type ManifestRow } from "./reader.js";
import { defaultRequestWindow } from "./request-window.js";
import { DEFAULT_CACHE_BYTES, DEFAULT_CHUNKS, DEFAULT_MAX_PAYLOAD_BYTES, chunkParamsFor, type PayloadOptions } from "./payload-options.js";
import { commonPrefix } from "../../src/common-prefix.js";

export { INLINE_MAX, type PayloadRef, DEFAULT_CHUNKS, DEFAULT_MAX_PAYLOAD_BYTES, type PayloadOptions };

/**
 * Payload bytes: the only module that knows how state bytes are laid out in the `blobs` store.
 * Stores see a narrow interface: `encode` (outside any transaction: hashing and compression are
 * CPU work that would hold a transaction open), `put` (encoded bytes in, reference out), `get`
 * (reference in, verified bytes out) and `release`.
 *
 * Layout. A payload of up to the minimum chunk size is packed once (deflated where that pays):
 * packed into at most INLINE_MAX bytes it lives in its reference, else in one row {codec, raw,
 * crc, data}. A larger one is split into content-defined chunks (chunker.ts) whose list
 * is a tree of shared nodes (chunk-tree.ts); its own row is {raw, crc, level, kids}, the
 * top of that tree. Chunks and nodes are stored once however many payloads contain them, with reference
 * counts (chunk-store.ts), so a new version of a state stores only what changed.
 *
 * Growing states. Appending to a state changes its last chunk, and content-defined boundaries
 * cannot help there: the end of the data is a boundary. So the worker remembers the last chunk
 * of each payload it encodes (by the chunk before it), and a new chunk that starts with most of
 * such a chunk is stored as a delta: that chunk's key, how many of its bytes to keep, and the
 * new bytes (chunk-store.ts). A chat then stores each message about once, whatever the
 * chunk size.
 *
 * What to compress. `encode` runs before the write transaction and cannot see the database, so it
 * compresses every chunk this worker does not know to be stored (an LRU of chunk names it has
 * written or read). The alternative, a read transaction to ask which chunks exist, costs one more
 * round trip on every save to spare compression work only when the cache is wrong. When it is
 * wrong (another tab freed the chunk), `put` compresses that chunk inside the transaction.
 */

/** A payload made ready for writing; opaque to the stores. */
export interface EncodedPayload {
  readonly size: number;
  /** Set for a payload stored as one row. */
  readonly row?: ChunkRow;
  /** Set for a chunked payload: the top of its tree. */
  readonly tree?: { crc: number; level: number; kids: TreeEntry[] };
  /** Chunks written raw, to be compressed in idle time: [name, raw length]. */
  readonly later?: Array<[name: string, raw: number]>;
}

/** A delta must keep at least this much of its base, and a quarter of its own length. */
const MIN_DELTA_KEEP = 256;

/**
 * A save whose new bytes exceed this is written raw and compressed in idle time: deflating 16 KiB
 * costs about 1 ms here, about what a second transaction costs.
 */
const COMPRESS_NOW_MAX = 16 * 1024;

export class Payloads {
  readonly maxBytes: number;
  /** Chunk sizes of payloads under LARGE_FROM bytes (of every payload when the options set them). */
  readonly chunkParams: ChunkParams;
  private readonly givenChunks?: ChunkParams;
  private readonly cache: ChunkCache;
  private readonly owed?: OwedRefs;
  /**
   * Names of chunks and list nodes this worker wrote or read: probably stored. Encode skips
   * compressing such chunks; put does not read ahead below such nodes.
   */
  private readonly known = new LruSet(1 << 16);
  /** The last chunk of recently encoded payloads, by the name of the chunk before it. */
  private readonly tails: ChunkCache<TreeEntry>;
  /** Recently encoded payloads and their chunks (recent-chunks.ts). */
  private readonly recent: RecentChunks;
  /** Compresses in idle time what saves wrote raw; absent without a database. */
  readonly compactor?: Compactor;
  private readonly reader: PayloadReader;
  /**
   * Writes of one transaction run one after another: counting references is read, then write,
   * and two releases of payloads sharing a chunk (stores release in parallel) would otherwise
   * both read the same count.
   */
  private readonly queues = new WeakMap<object, Promise<unknown>>();
  /** Requests of one payload's chunks in flight at once (request-window.ts). */
  private readonly requestWindow: number;

  constructor(options: PayloadOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.chunkParams = options.chunks ?? DEFAULT_CHUNKS;
    this.givenChunks = options.chunks;
    const budget = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
    this.cache = new ChunkCache(Math.floor((budget * 5) / 8));
    this.recent = new RecentChunks(Math.floor(budget / 4));
    this.tails = new ChunkCache(Math.floor(budget / 8));
    if (options.db) this.compactor = new Compactor(options.db, options.compaction);
    if (options.db) this.owed = new OwedRefs(options.db);
    this.requestWindow = options.requestWindow ?? defaultRequestWindow();
    this.reader = new PayloadReader(this.maxBytes, this.cache, this.known, this.compactor, this.requestWindow);
  }

  /** Compresses now what saves left for idle time (before usage figures are taken). */
  async settle(): Promise<void> {
    await this.compactor?.flush();
  }

  /** Stops idle-time work; the engine calls it when it closes. */
  close(): void {
    this.compactor?.stop();
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
    this.compactor?.touch();
    let crc = 0;
    // Chunking and deflating many MiB takes seconds in some engines: hand the worker's event
    // loop a turn now and then, so the page's heartbeat is answered (worker/pacer.ts).
    const pause = pacer();
    const list = await this.recent.chunkList(bytes, this.chunkParamsFor(bytes.length), pause);
    const names = new Set(list.map((c) => c.name));
    const chunks = list.map((c, i): TreeEntry => {
      const raw = c.end - c.start;
      crc = crc32Combine(crc, c.crc, raw);
      return { name: c.name, raw, crc: c.crc, level: 0, bytes: bytes.subarray(c.start, c.end) };
    });
    // Which chunks are new (not known stored), and which of those are deltas of a recent tail.
    const fresh: Array<{ e: TreeEntry; base?: TreeEntry; keep: number }> = [];
    let freshBytes = 0;
    chunks.forEach((e, i) => {
      if (this.known.has(e.name)) return;
      const base = this.tails.get(i === 0 ? "" : chunks[i - 1].name);
      if (base && base.name !== e.name && !names.has(base.name) && (base.depth ?? 0) < MAX_CHAIN) {
        const keep = commonPrefix(base.bytes!, e.bytes!);
        if (keep >= MIN_DELTA_KEEP && keep * 4 >= e.raw) {
          fresh.push({ e, base, keep });
          freshBytes += e.raw - keep;
          return;
        }
      }
      fresh.push({ e, keep: 0 });
      freshBytes += e.raw;
    });
    // Much new data is written raw and compressed once the worker is idle: deflate costs several
    // raw writes. A little (a chat's new turn) is compressed now, which costs less than a
    // compactor's second transaction over it. Packed data is a copy (or deflated), so a caller
    // reusing its buffer cannot change what is written.
    const later = this.compactor?.enabled === true && freshBytes > COMPRESS_NOW_MAX;
    const packOf = later ? packLater : pack;
    for (const { e, base, keep } of fresh) {
      await pause();
      if (base) e.delta = { base, keep, packed: packOf(e.bytes!.subarray(keep)) };
      else e.packed = packOf(e.bytes!);
      // Kept decoded: a state is most often read back soon after it was written.
      this.cache.set(`${e.name}/${e.crc}`, e.packed?.codec === 0 ? e.packed.data : e.bytes!.slice());
    }
    const last = chunks[chunks.length - 1];
    const depth = last.delta ? (last.delta.base.depth ?? 0) + 1 : 0;
    this.tails.set(chunks.length === 1 ? "" : chunks[chunks.length - 2].name, { name: last.name, raw: last.raw, crc: last.crc, level: 0, bytes: last.bytes!.slice(), depth });
    return { size: bytes.length, tree: { crc, ...buildTree(chunks) }, later: later ? fresh.map(({ e }) => [e.name, e.raw]) : undefined };
  }

  /** The chunk sizes a payload of `size` bytes is cut with. */
  chunkParamsFor(size: number): ChunkParams {
    return chunkParamsFor(size, this.givenChunks);
  }

  /** Whether `put` keeps this payload in its reference alone: no row, nothing to release. */
  isInline(encoded: EncodedPayload): encoded is EncodedPayload & { row: ChunkRow } {
    return encoded.row !== undefined && encoded.row.data.length <= INLINE_MAX;
  }

  put(tx: WriteTx, encoded: EncodedPayload): Promise<PayloadRef> {
    this.owed?.afterWrite(tx);
    return this.serial(tx, async () => {
      if (this.isInline(encoded)) {
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
          this.requestWindow,
        );
        settled(blobs.put({ raw: encoded.size, crc, level, kids: top } satisfies ManifestRow, id));
        for (const e of entries(kids)) this.known.add(e.name);
        // Queued before the transaction commits: the compactor waits for idle time and skips a
        // row that is not there.
        for (const [name, raw] of encoded.later ?? []) this.compactor?.add(name, raw);
      } else {
        throw new TypeError("not an encoded payload");
      }
      return [encoded.size, crc, id];
    });
  }

  /**
   * A payload kept whole in its reference, whatever its size: compressed where that pays and
   * checksummed like any other, with no row of its own. For a store that packs many small
   * values into one row it reads whole anyway (the memory store's blocks): reading it costs no
   * request, and `unwrap` checks and decodes it without a transaction. Nothing to release.
   */
  wrap(bytes: Uint8Array): PayloadRef {
    this.checkSize(bytes);
    const { codec, data } = pack(bytes);
    const ref: PayloadRef = [bytes.length, crc32(bytes), data];
    if (codec !== 0) ref.push(codec);
    return ref;
  }

  /** The bytes of a payload made by `wrap`, checked against its length and checksum. */
  unwrap(stored: PayloadRef): Uint8Array {
    const ref = partsOf(stored);
    if (ref.inline === undefined || ref.crc === undefined) throw integrity("a whole payload is not kept in its reference");
    return this.reader.decodeRow({ codec: ref.codec ?? 0, data: ref.inline, raw: ref.size, crc: ref.crc }, "whole", ref.size);
  }

  /** Reads only, so it needs no turn in the transaction's queue. */
  async get(tx: ReadTx, stored: PayloadRef): Promise<Uint8Array> {
    this.compactor?.touch();
    const ref = partsOf(stored);
    if (ref.inline !== undefined) {
      if (ref.inline.length > INLINE_MAX) throw integrity("an inline payload is malformed");
      return this.reader.decodeRow({ codec: ref.codec ?? 0, data: ref.inline, raw: ref.size, crc: ref.crc! }, "inline", ref.size);
    }
    const row = (await tx.objectStore("blobs").get(ref.id)) as ChunkRow | ManifestRow | undefined;
    if (ref.crc !== undefined && row && typeof row === "object" && row.crc !== ref.crc) {
      throw integrity(`payload ${ref.id} is not the one its reference names (checksum differs)`);
    }
    if (isManifest(row)) return this.reader.assemble(tx, row, ref);
    return this.reader.decodeRow(row, ref.id, ref.size);
  }

  /** Frees the payload's storage, and each chunk and node no other payload refers to. */
  release(tx: WriteTx, stored: PayloadRef): Promise<void> {
    this.compactor?.touch();
    const ref = partsOf(stored);
    if (ref.inline !== undefined) return Promise.resolve();
    return this.serial(tx, async () => {
      const blobs = tx.objectStore("blobs");
      const row = (await blobs.get(ref.id)) as ChunkRow | ManifestRow | undefined;
      await blobs.delete(ref.id);
      if (!isManifest(row)) return;
      for (const key of await releaseTree(tx, row.level, row.kids, this.owed?.sinkFor(tx))) this.known.delete(nameOf(key));
    });
  }

  private serial<T>(tx: object, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(tx) ?? Promise.resolve()).then(fn, fn);
    this.queues.set(tx, run.catch(() => {}));
    return run;
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
