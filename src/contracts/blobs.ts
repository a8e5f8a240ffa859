/**
 * Seed 003: blob store with trace ids and a graph hash (TypedCheckpointStore wraps it on the page)
 */

export interface BlobRecord {
  checkpointId: string;
  traceId: string;
  /** u64 hash of the graph that wrote the checkpoint. */
  graphHash: bigint;
  createdAt: number;
  size: number;
}

export interface LoadedBlob {
  record: BlobRecord;
  bytes: Uint8Array;
}

export interface BlobCheckpointStore {
  /** Saves (or replaces) the blob of a checkpoint id under a trace. */
  save(checkpointId: string, traceId: string, graphHash: bigint, bytes: Uint8Array): Promise<void>;
  load(checkpointId: string): Promise<LoadedBlob | undefined>;
  /** The most recently saved checkpoint of the trace, or undefined. */
  loadLatest(traceId: string): Promise<LoadedBlob | undefined>;
  /** The trace's records, oldest first. */
  list(traceId: string): Promise<BlobRecord[]>;
  /** Resolves with whether the checkpoint existed. */
  delete(checkpointId: string): Promise<boolean>;
}
