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
