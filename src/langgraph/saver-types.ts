import type { CheckpointMetadata, SerializerProtocol } from "@langchain/langgraph-checkpoint";
import type { CheckpointSaver } from "../types.js";

/** What IndexedDBSaver (saver.ts) takes: a worker client from `openStore` or an engine from `openEngine`. */
export interface SaverHost {
  saver: CheckpointSaver;
  /** The store's name (openStore and openEngine give it): runThread locks threads per store. */
  readonly name?: string;
}

export interface IndexedDBSaverOptions {
  serde?: SerializerProtocol;
  /**
   * false (default): put and putWrites resolve once stored, so when graph.invoke() resolves its
   * checkpoints are stored. true: they resolve once serialized and queued (the store keeps their
   * order), so LangGraph runs ahead of the database and consecutive checkpoints are stored
   * together, in few transactions; invoke() may then resolve before its last writes are stored,
   * and `await saver.flush()` (runThread does it) is what says they are.
   */
  pipeline?: boolean;
}

/** One thread as `listThreads` lists it. */
export interface ThreadSummary {
  threadId: string;
  /** The `ts` of the thread's newest checkpoint, in any namespace (ISO 8601). */
  updatedAt: string;
  /** The newest checkpoint of the root namespace. */
  checkpointId: string;
  /** That checkpoint's metadata. */
  metadata: CheckpointMetadata;
}
