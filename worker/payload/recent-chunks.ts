import { ChunkCache } from "./chunk-cache.js";
import { crc32 } from "./chunk-hash.js";
import { chunkPaced, type Chunk, type ChunkParams } from "./chunker.js";
import { commonPrefix } from "../../src/common-prefix.js";

/** How many leading bytes find a recent payload to resume chunking from. */
const HEAD_BYTES = 4096;

/**
 * The chunks of a payload, cut from where it stops matching a recent one. A new version of a
 * state mostly starts like the one before it: when a recent payload begins with the same bytes,
 * its chunks up to the first differing byte are taken as they are (a chunk's end depends only on
 * its own bytes; the last one, cut by the end of the data, is not), and hashing resumes there.
 * Comparing bytes is several times cheaper than hashing them.
 */
export class RecentChunks {
  private readonly recent: ChunkCache<{ raw: number; bytes: Uint8Array; chunks: Chunk[]; params: ChunkParams }>;

  /** Keeps recent payloads of up to `budget` bytes in all. */
  constructor(budget: number) {
    this.recent = new ChunkCache(budget);
  }

  async chunkList(bytes: Uint8Array, params: ChunkParams, pause: () => Promise<void> | undefined): Promise<Chunk[]> {
    const head = String(crc32(bytes, 0, Math.min(bytes.length, HEAD_BYTES)));
    const prev = this.recent.get(head);
    const kept: Chunk[] = [];
    // Chunks cut with other sizes end where these sizes may not: they are not kept.
    if (prev && prev.params === params) {
      const same = commonPrefix(prev.bytes, bytes);
      for (const c of prev.chunks) {
        if (c.end > same || c.end === prev.bytes.length) break;
        kept.push(c);
      }
    }
    const list = kept.concat(await chunkPaced(bytes, params, kept.length > 0 ? kept[kept.length - 1].end : 0, pause));
    // A copy: a caller of the engine in its own thread may reuse its buffer. Not made for a
    // payload larger than the cache holds (a 50 MB state would be copied only to be dropped).
    if (this.recent.fits(bytes.length)) this.recent.set(head, { raw: bytes.length, bytes: bytes.slice(), chunks: list, params });
    return list;
  }
}
