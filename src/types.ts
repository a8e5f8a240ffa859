/**
 * Public data types and the five store contracts. Every value here is plain, structured-cloneable
 * data, because it crosses the worker boundary as is. Every method is async.
 */

/** User metadata: a plain object of structured-cloneable values (no functions, symbols, class instances). */
export type Metadata = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Seed 000: thread checkpoints of opaque bytes
// ---------------------------------------------------------------------------------------------

export interface ThreadCheckpointMeta {
  threadId: string;
  /** Made by the store; ids of one thread sort by creation order as plain strings. */
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
  /** Rejects with NOT_FOUND when the thread has no such checkpoint. */
  delete(threadId: string, checkpointId: string): Promise<void>;
  /** Removes every checkpoint of the thread; resolves also when there were none. */
  deleteThread(threadId: string): Promise<void>;
  /** Number of checkpoints of the thread (0 for an unknown thread). Does not scan the thread. */
  count(threadId: string): Promise<number>;
  /** Every thread that has at least one checkpoint, in id order. */
  listThreads(): Promise<string[]>;
}

// ---------------------------------------------------------------------------------------------
// Seed 001: LangGraph-style saver, bytes level (src/langgraph/saver.ts adapts it to BaseCheckpointSaver)
// ---------------------------------------------------------------------------------------------

/** A value serialized on the calling side: the serde's type tag and its bytes. */
export type SerializedValue = [type: string, bytes: Uint8Array];

export interface SaverBlob {
  channel: string;
  version: string | number;
  /** null records that the channel had no value at this version (LangGraph's "empty"). */
  value: SerializedValue | null;
}

export interface SaverPutRequest {
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
  /** Top-level metadata key -> canonical JSON of its value; what list filters compare against. */
  metadataIndex: Record<string, string>;
  /** checkpoint.channel_versions: which (channel, version) blobs make up channel_values on read. */
  channelVersions: Record<string, string | number>;
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

export interface StoredSaverTuple {
  threadId: string;
  ns: string;
  checkpointId: string;
  parentId?: string;
  v: number;
  checkpoint: SerializedValue;
  metadata: SerializedValue;
  /** The blobs named by the checkpoint's channel versions that are stored with a value. */
  channelValues: Record<string, SerializedValue>;
  channelVersions: Record<string, string | number>;
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
  put(request: SaverPutRequest): Promise<void>;
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

// ---------------------------------------------------------------------------------------------
// Seed 002: workflow runs
// ---------------------------------------------------------------------------------------------

/**
 * A run's status. createRun starts a run as "running" (the contract's runs start when they are
 * created); "pending" is accepted for an app that creates runs ahead of time and sets it itself.
 */
export type RunStatus = "pending" | "running" | "paused" | "completed" | "failed" | "cancelled";
export const RUN_STATUSES: readonly RunStatus[] = ["pending", "running", "paused", "completed", "failed", "cancelled"];

export interface RunMetadata {
  runId: string;
  workflow: string;
  params: Record<string, unknown>;
  /** "running" when created. */
  status: RunStatus;
  createdAt: number;
  /** Moves on every change to the run: its status, a saved checkpoint, an appended event. */
  updatedAt: number;
}

export interface CheckpointMeta {
  runId: string;
  nodeId: string;
  /** 1, 2, 3, ... per (run, node). */
  seq: number;
  createdAt: number;
  size: number;
  metadata?: Record<string, string>;
}

export interface RunCheckpoint {
  meta: CheckpointMeta;
  state: Uint8Array;
}

export interface WorkflowEventInput {
  runId: string;
  /** What happened, e.g. "node_started". */
  kind: string;
  nodeId?: string;
  data?: unknown;
}

export interface WorkflowEvent extends WorkflowEventInput {
  /** Dense and strictly increasing per run, starting at 1. */
  seq: number;
  timestamp: number;
}

export interface RunStore {
  /** Starts the run as "running"; rejects with CONFLICT (not retryable) when the run exists. */
  createRun(runId: string, workflow: string, params: Record<string, unknown>): Promise<RunMetadata>;
  getRun(runId: string): Promise<RunMetadata | undefined>;
  /** Rejects with NOT_FOUND for an unknown run. */
  updateRunStatus(runId: string, status: RunStatus): Promise<void>;
  /** Rejects with NOT_FOUND for an unknown run. */
  saveCheckpoint(runId: string, nodeId: string, state: Uint8Array, metadata?: Record<string, string>): Promise<CheckpointMeta>;
  /** The node's newest checkpoint, or undefined. */
  loadCheckpoint(runId: string, nodeId: string): Promise<RunCheckpoint | undefined>;
  loadCheckpointAt(runId: string, nodeId: string, seq: number): Promise<RunCheckpoint | undefined>;
  /** Every checkpoint of the run, in the order they were saved. */
  listCheckpoints(runId: string): Promise<CheckpointMeta[]>;
  /** The node's checkpoints by ascending seq. */
  listNodeCheckpoints(runId: string, nodeId: string): Promise<CheckpointMeta[]>;
  /** Resolves with the event's seq. Rejects with NOT_FOUND for an unknown run. */
  appendEvent(event: WorkflowEventInput): Promise<number>;
  /** Events with seq greater than sinceSeq (all when absent), ascending, at most limit. */
  getEvents(runId: string, sinceSeq: number | undefined, limit: number): Promise<WorkflowEvent[]>;
  /** Removes the run, its checkpoints and events; resolves with whether the run existed. */
  deleteRun(runId: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Seed 003: blob store with trace ids and a graph hash (TypedCheckpointStore wraps it on the page)
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Seed 004: turn-scoped event streams
// ---------------------------------------------------------------------------------------------

/** One agent event: a plain object of structured-cloneable values. */
export type AgentEventEnvelope = Record<string, unknown>;

export interface StoredTurnEvents {
  threadId: string;
  turn: number;
  events: AgentEventEnvelope[];
  finished: boolean;
}

export interface EventStore {
  /**
   * May buffer; buffered events are visible to reads at once and written within a bounded delay
   * (relaxed: they survive a tab crash once written, not before). An append that resolved is part
   * of its turn when any handle, in any tab, finishes that turn. Rejects with TURN_FINISHED when
   * the turn is finished.
   */
  append(threadId: string, turn: number, envelope: AgentEventEnvelope): Promise<void>;
  /**
   * The durability barrier: resolves once every event of the turn, from every handle, is written
   * and flushed to disk with the turn closed. Rejects with TURN_FINISHED when the turn was already
   * finished (by this handle or another): a turn is finished once.
   */
  finishTurn(threadId: string, turn: number): Promise<void>;
  getTurn(threadId: string, turn: number): Promise<StoredTurnEvents | undefined>;
  /** Ascending turn order. */
  getTurns(threadId: string): Promise<StoredTurnEvents[]>;
  getEvents(threadId: string): Promise<AgentEventEnvelope[]>;
  clear(threadId: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Long-term memory: items under namespaces, shared across threads (src/langgraph/store.ts adapts
// it to LangGraph's BaseStore). Vectors are computed on the page; only they cross to the worker.
// ---------------------------------------------------------------------------------------------

export interface MemoryItem {
  namespace: string[];
  key: string;
  value: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
  /** On search results: cosine similarity to the query vector; undefined for unranked items. */
  score?: number;
}

/** One embedded field of an item: the field's path and its vector. */
export interface MemoryVector {
  field: string;
  vector: Float32Array | number[];
}

export interface MemoryGetOp {
  op: "get";
  namespace: string[];
  key: string;
  /** Extend the item's time to live from now (items without a ttl are not touched). */
  refreshTtl?: boolean;
}

export interface MemoryPutOp {
  op: "put";
  namespace: string[];
  key: string;
  /** null deletes the item. */
  value: Record<string, unknown> | null;
  /** The item's vectors; replaces any it had. Absent or empty: the item is not ranked by queries. */
  vectors?: MemoryVector[];
  /** Time to live in minutes; absent or null: the item does not expire. */
  ttl?: number | null;
}

export interface MemorySearchOp {
  op: "search";
  /** [] searches every namespace. */
  namespacePrefix: string[];
  /** Top-level value key -> a value (strict equality) or operators ($eq, $ne, $gt, $gte, $lt, $lte, $in, $nin). */
  filter?: Record<string, unknown> | null;
  /** Default 10. */
  limit?: number;
  /** Default 0. */
  offset?: number;
  /** An embedded query: results are ranked by cosine similarity to it and carry a score. */
  query?: Float32Array | Float64Array | number[];
  refreshTtl?: boolean;
}

export interface MemoryMatchCondition {
  matchType: "prefix" | "suffix";
  /** Labels; "*" matches any label. */
  path: string[];
}

export interface MemoryListOp {
  op: "list";
  matchConditions?: MemoryMatchCondition[];
  maxDepth?: number;
  /** Default: all. */
  limit?: number;
  offset?: number;
}

export type MemoryOp = MemoryGetOp | MemoryPutOp | MemorySearchOp | MemoryListOp;
/** Per op: get -> item or null, put -> undefined, search -> items, list -> namespaces. */
export type MemoryResult = MemoryItem | null | undefined | MemoryItem[] | string[][];

export interface MemoryStore {
  /**
   * Runs the ops as one transaction: every read sees the state before the batch's writes, and
   * several puts of one item keep the last.
   */
  batch(ops: MemoryOp[]): Promise<MemoryResult[]>;
  get(namespace: string[], key: string, options?: { refreshTtl?: boolean }): Promise<MemoryItem | null>;
  put(namespace: string[], key: string, value: Record<string, unknown>, options?: { vectors?: MemoryVector[]; ttl?: number | null }): Promise<void>;
  delete(namespace: string[], key: string): Promise<void>;
  search(namespacePrefix: string[], options?: Omit<MemorySearchOp, "op" | "namespacePrefix">): Promise<MemoryItem[]>;
  listNamespaces(options?: Omit<MemoryListOp, "op">): Promise<string[][]>;
  /** Removes expired items now; resolves with how many. The worker also does this on its own. */
  sweep(): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// The five together
// ---------------------------------------------------------------------------------------------

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
