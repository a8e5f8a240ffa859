/**
 * Public data types and the five store contracts. Every value here is plain, structured-cloneable
 * data, because it crosses the worker boundary as is. Every method is async.
 */

/** User metadata: a plain object of structured-cloneable values (no functions, symbols, class instances). */
export type Metadata = Record<string, unknown>;

export * from "./contracts/threads.js";
export * from "./contracts/saver.js";
export * from "./contracts/runs.js";
export * from "./contracts/blobs.js";
export * from "./contracts/events.js";
export * from "./contracts/memory.js";

import type { ThreadCheckpointStore } from "./contracts/threads.js";
import type { CheckpointSaver } from "./contracts/saver.js";
import type { RunStore } from "./contracts/runs.js";
import type { BlobCheckpointStore } from "./contracts/blobs.js";
import type { EventStore } from "./contracts/events.js";
import type { MemoryStore } from "./contracts/memory.js";

/** The five contracts (and the memory store) together. */
export interface Stores {
  threads: ThreadCheckpointStore;
  saver: CheckpointSaver;
  runs: RunStore;
  blobs: BlobCheckpointStore;
  events: EventStore;
  memory: MemoryStore;
  /**
   * A durability barrier for everything acknowledged before it: buffered events are written and
   * one strict transaction flushes every earlier write to disk. Resolves once that holds.
   */
  flush(): Promise<void>;
  /**
   * Drains, then closes: every call made before close() completes as it would have without it,
   * buffered events are flushed to disk, the database closes (and, for openStore, the worker ends).
   * Calls made after close() reject at once with DATABASE_CLOSED, `retryable: false`.
   */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Database name; one IndexedDB database per name. */
  name: string;
}
