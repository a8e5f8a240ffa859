/**
 * Seed 001: LangGraph-style saver, bytes level (src/langgraph/saver.ts adapts it to BaseCheckpointSaver)
 */

/** A value serialized on the calling side: the serde's type tag and its bytes. */
export type SerializedValue = [type: string, bytes: Uint8Array];

export interface SaverBlob {
  channel: string;
  version: string | number;
  /** null records that the channel had no value at this version (LangGraph's "empty"). */
  value: SerializedValue | null;
}

/** What a stored checkpoint is made of, as put and as read back. */
export interface SaverCheckpointFields {
  threadId: string;
  ns: string;
  checkpointId: string;
  /** The parent checkpoint's id (LangGraph passes it as the input config's checkpoint_id). */
  parentId?: string;
  /** Checkpoint format version (`checkpoint.v`); below 4, pending sends are migrated on read. */
  v: number;
  /** The checkpoint without its channel_values, serialized. */
  checkpoint: SerializedValue;
  metadata: SerializedValue;
  /** checkpoint.channel_versions: which (channel, version) blobs make up channel_values on read. */
  channelVersions: Record<string, string | number>;
  /**
   * Channels without a version whose values travel inside `checkpoint` (its channel_values):
   * getDeltaChannelHistory's walk stops at them.
   */
  unversioned?: string[];
}

export interface SaverPutRequest extends SaverCheckpointFields {
  /** Top-level metadata key -> canonical JSON of its value; what list filters compare against. */
  metadataIndex: Record<string, string>;
  /** Only the channels named in newVersions; stored once per (thread, ns, channel, version). */
  blobs: SaverBlob[];
  /**
   * The run that made the checkpoint, when the metadata does not say (LangGraph.js passes it in
   * the run's config, not in the metadata); deleteForRuns finds checkpoints by it.
   */
  runId?: string;
}

export interface SaverWrite {
  /** Position in the batch, or the fixed negative index of a special channel (__error__ -1, ...). */
  idx: number;
  channel: string;
  value: SerializedValue;
}

export interface SaverPutWritesRequest {
  threadId: string;
  ns: string;
  checkpointId: string;
  taskId: string;
  taskPath: string;
  writes: SaverWrite[];
}

export interface StoredWrite {
  taskId: string;
  taskPath: string;
  idx: number;
  channel: string;
  value: SerializedValue;
}

export interface StoredSaverTuple extends SaverCheckpointFields {
  /** The blobs named by the checkpoint's channel versions that are stored with a value. */
  channelValues: Record<string, SerializedValue>;
  /** This checkpoint's writes in writesSortKey order: (taskPath, taskId, idx). */
  pendingWrites: StoredWrite[];
  /** For v < 4 with a parent: the parent's writes to __pregel_tasks, in write order. */
  parentSends?: StoredWrite[];
}

export interface SaverGetRequest {
  threadId: string;
  ns: string;
  /** Absent: the newest checkpoint of (threadId, ns). */
  checkpointId?: string;
}

export interface SaverListRequest {
  /** Absent: every thread. */
  threadId?: string;
  /** Absent: every namespace. */
  ns?: string;
  /** Restricts the listing to this one checkpoint. */
  checkpointId?: string;
  /** Only checkpoints whose id is strictly less than this. */
  before?: string;
  limit?: number;
  /** Key -> canonical JSON; a checkpoint matches when every key's stored JSON is equal. */
  filter?: Record<string, string>;
  /** Metadata keys a matching checkpoint does not have (LangGraph's filter `{ key: undefined }`). */
  absent?: string[];
}

export interface SaverDeltaHistoryRequest {
  threadId: string;
  ns: string;
  /** Absent: the newest checkpoint of (threadId, ns). */
  checkpointId?: string;
  channels: string[];
}

export interface DeltaChannelHistory {
  /** The channel's writes on the ancestor chain, oldest first, excluding the target's own. */
  writes: StoredWrite[];
  /** The value stored at the nearest ancestor that has one, if any. */
  seed?: SerializedValue;
  /** Instead of `seed`: that ancestor holds the value without a version; it is channel_values[channel] of these checkpoint bytes. */
  seedIn?: SerializedValue;
}

/** One write of a batch: a put or a putWrites request. */
export type SaverWriteOp = { put: SaverPutRequest } | { putWrites: SaverPutWritesRequest };

export interface SaverPruneOptions {
  /** "keep_latest" (default): each namespace keeps its newest checkpoint; "delete": the whole thread goes. */
  strategy?: "keep_latest" | "delete";
}

export interface SaverListThreadsRequest {
  /** At most this many threads, the most recently updated. */
  limit?: number;
}

export interface SaverThreadInfo {
  threadId: string;
  /** The thread's newest checkpoint in any namespace: its last update. */
  lastCheckpointId: string;
  lastNs: string;
  /** That checkpoint's serialized header (its timestamp is inside). */
  lastCheckpoint: SerializedValue;
  /** The newest checkpoint of the root namespace (the last one's when the root has none). */
  rootCheckpointId: string;
  /** Its serialized metadata. */
  metadata: SerializedValue;
}

export interface CheckpointSaver {
  /** Resolves with the stored checkpoint's address (seed 001's put answers with its config). */
  put(request: SaverPutRequest): Promise<Required<SaverGetRequest>>;
  /** The operations in order, in one transaction: all are stored or none is. Checked before anything is written. */
  batch(ops: SaverWriteOp[]): Promise<void>;
  /** Accepted also before the checkpoint is stored. Regular writes insert-if-absent; special ones replace. */
  putWrites(request: SaverPutWritesRequest): Promise<void>;
  getTuple(request: SaverGetRequest): Promise<StoredSaverTuple | undefined>;
  /** Newest first (by checkpoint id, across threads and namespaces). */
  list(request: SaverListRequest): Promise<StoredSaverTuple[]>;
  /** Removes checkpoints, blobs and writes of every namespace of the thread, in one transaction. */
  deleteThread(threadId: string): Promise<void>;
  /** One read transaction for the whole ancestor walk. */
  getDeltaChannelHistory(request: SaverDeltaHistoryRequest): Promise<Record<string, DeltaChannelHistory>>;
  /** Copies every checkpoint, value and write of `source` (same ids) to the empty thread `target`; CONFLICT when it is not empty. */
  copyThread(source: string, target: string): Promise<void>;
  /** Keeps each namespace's newest checkpoint of each thread ("keep_latest") or deletes the threads ("delete"), freeing what no kept checkpoint needs. */
  prune(threadIds: string[], options?: SaverPruneOptions): Promise<void>;
  /** Deletes every checkpoint (and its writes) whose metadata run_id is one of `runIds`, in every thread and namespace. */
  deleteForRuns(runIds: string[]): Promise<void>;
  /** Threads, most recently updated first. */
  listThreads(request?: SaverListThreadsRequest): Promise<SaverThreadInfo[]>;
}
