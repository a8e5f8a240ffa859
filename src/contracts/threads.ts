import type { Metadata } from "../types.js";

/** Seed 000: thread checkpoints of opaque bytes */

export interface ThreadCheckpointMeta {
  threadId: string;
  /** Made by the store; ids of one thread sort by creation order as plain strings, and are not made again after a delete. */
  checkpointId: string;
  /** Milliseconds since the epoch, when the store accepted the checkpoint. */
  createdAt: number;
  /** Length of the state in bytes, before compression. */
  size: number;
  metadata: Metadata;
}

export interface LoadedThreadCheckpoint {
  meta: ThreadCheckpointMeta;
  state: Uint8Array;
}

export interface ThreadCheckpointStore {
  /** Saves a checkpoint and resolves with its new id. */
  save(threadId: string, metadata: Metadata, state: Uint8Array): Promise<string>;
  /** Rejects with NOT_FOUND when the thread has no such checkpoint. */
  load(threadId: string, checkpointId: string): Promise<LoadedThreadCheckpoint>;
  /** The newest checkpoint; rejects with NOT_FOUND when the thread has none. Does not scan the thread. */
  loadLatest(threadId: string): Promise<LoadedThreadCheckpoint>;
  /** Every checkpoint's metadata, oldest first. */
  list(threadId: string): Promise<ThreadCheckpointMeta[]>;
  /** Removes the checkpoint; resolves also when the thread has no such checkpoint (nothing changes). */
  delete(threadId: string, checkpointId: string): Promise<void>;
  /** Removes every checkpoint of the thread; resolves also when there were none. */
  deleteThread(threadId: string): Promise<void>;
  /** Number of checkpoints of the thread (0 for an unknown thread). Does not scan the thread. */
  count(threadId: string): Promise<number>;
  /** Every thread that has at least one checkpoint, in id order. */
  listThreads(): Promise<string[]>;
}
