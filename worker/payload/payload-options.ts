import type { Database } from "../db.js";
import type { CompactorOptions } from "./compactor.js";
import type { ChunkParams } from "./chunker.js";

export interface PayloadOptions {
  /** Largest payload accepted on write or inflated on read. */
  maxBytes?: number;
  /** Chunk sizes; payloads up to `avg` bytes stay one row. */
  chunks?: ChunkParams;
  /**
   * Byte budget of the worker's caches of payload bytes: decoded chunks (5/8 of it), recently
   * encoded payloads (1/4) and the last chunks of growing states (1/8).
   */
  cacheBytes?: number;
  /** The database compaction rewrites rows in; without it every chunk is compressed at once. */
  db?: Database;
  /** Idle-time compression; see worker/payload/compactor.ts. */
  compaction?: CompactorOptions;
  /** Requests of one payload's chunks in flight at once; see worker/payload/request-window.ts. */
  requestWindow?: number;
}

export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

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

/**
 * Chunk sizes for a payload of LARGE_FROM bytes or more, when no sizes are given. A fresh or
 * cold 1 MiB state is 32 rows (and as many count rows) instead of 128: requests, more than
 * bytes, are what a large save and load cost (npm run bench, latency: a 1 MiB load 15 – 20%
 * faster). An edit still stores little of such a state: a 32 KiB chunk is 3% of 1 MiB. Smaller
 * states keep 8 KiB chunks, which share more between versions (a 200-turn chat with
 * DeltaChannel, whose snapshots pass 256 KiB, stored 1.09 MiB with 32 KiB chunks from 256 KiB
 * on, 0.83 with 8 KiB ones). A payload that crosses the threshold is chunked anew once, sharing
 * nothing with its previous version at that save.
 */
export const LARGE_CHUNKS: ChunkParams = { min: 8192, avg: 32768, max: 262144 };
export const LARGE_FROM = 1024 * 1024;

/** The chunk sizes of a payload of `size` bytes. */
export function chunkParamsFor(size: number, given: ChunkParams | undefined): ChunkParams {
  if (given) return given;
  return size >= LARGE_FROM ? LARGE_CHUNKS : DEFAULT_CHUNKS;
}
