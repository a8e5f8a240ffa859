/**
 * Long-term memory: items under namespaces, shared across threads (src/langgraph/store.ts adapts
// it to LangGraph's BaseStore). Vectors are computed on the page; only they cross to the worker.
 */

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
