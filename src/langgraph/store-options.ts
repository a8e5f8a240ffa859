import { StoreError } from "../errors.js";

/**
 * The options of IndexedDBStore, and their checks: made when the store is made, so a bad option
 * is an INVALID_ARGUMENT then rather than at every later put or search. The names are those of
 * LangGraph.js's stores (InMemoryStore's index, PostgresStore's index and ttl configs).
 */

/** What computes vectors: a LangChain `Embeddings` object, or a function of texts. */
export interface EmbeddingsLike {
  embedDocuments(texts: string[]): Promise<number[][]>;
  embedQuery(text: string): Promise<number[]>;
}

export interface IndexedDBStoreIndex {
  /** Dimensions of every vector. */
  dims: number;
  /** A LangChain Embeddings object (as InMemoryStore takes)... */
  embeddings?: EmbeddingsLike;
  /**
   * ...or a function that embeds texts (documents and queries alike), or an Embeddings object
   * under this name, as PostgresStore's and LangGraph Python's index configs take it.
   */
  embed?: ((texts: string[]) => Promise<ArrayLike<number>[]> | ArrayLike<number>[]) | EmbeddingsLike;
  /** Paths of the fields to embed ("text", "notes[*].body", "$" for the whole value). Default ["$"]. */
  fields?: string[];
  /** PostgresStore's option; scores here are cosine similarities, so "cosine" is the one accepted. */
  distanceMetric?: "cosine";
}

export interface IndexedDBStoreTtl {
  /** Minutes an item lives when its put names no ttl. Default: items do not expire. */
  defaultTtl?: number | null;
  /** Whether get and search extend the ttl of what they return, unless told otherwise. Default true. */
  refreshOnRead?: boolean;
  /**
   * Accepted as PostgresStore takes it, and checked; the worker removes expired items every
   * minute whatever it says, and an expired item is never returned even before that.
   */
  sweepIntervalMinutes?: number;
}

export interface IndexedDBStoreOptions {
  index?: IndexedDBStoreIndex;
  ttl?: IndexedDBStoreTtl;
}

/** What embeds texts: an Embeddings object, or a function of texts. */
export type Embedder = EmbeddingsLike | ((texts: string[]) => Promise<ArrayLike<number>[]> | ArrayLike<number>[]);

const invalid = (message: string) => new StoreError("INVALID_ARGUMENT", message);

function isEmbeddings(value: unknown): value is EmbeddingsLike {
  const e = value as EmbeddingsLike | undefined;
  return typeof e === "object" && e !== null && typeof e.embedDocuments === "function" && typeof e.embedQuery === "function";
}

/** The index config and what embeds for it; undefined without one. */
export function checkedIndex(index: IndexedDBStoreIndex | undefined): { config: IndexedDBStoreIndex; embedder: Embedder } | undefined {
  if (index === undefined || index === null) return undefined;
  if (!Number.isSafeInteger(index.dims) || index.dims < 1) throw invalid(`index.dims must be a whole number >= 1, got ${String(index.dims)}`);
  if (index.embeddings !== undefined && !isEmbeddings(index.embeddings)) throw invalid("index.embeddings must have embedDocuments(texts) and embedQuery(text)");
  const embedder = index.embeddings ?? (isEmbeddings(index.embed) || typeof index.embed === "function" ? index.embed : undefined);
  if (!embedder) throw invalid("index needs embeddings (a LangChain Embeddings) or embed (an Embeddings, or a function of texts)");
  // Scores are cosine similarities; another metric would be taken without a word and rank differently.
  const metric: unknown = index.distanceMetric;
  if (metric !== undefined && metric !== "cosine") throw invalid(`index.distanceMetric ${String(metric)} is not supported: scores are cosine similarities`);
  return { config: index, embedder };
}

const TTL_KEYS = new Set(["defaultTtl", "refreshOnRead", "sweepIntervalMinutes"]);

/** The ttl config: every field checked, and a key of another spelling (defaultTTL, default_ttl) refused, not ignored. */
export function checkedTtl(ttl: IndexedDBStoreTtl | undefined): IndexedDBStoreTtl {
  if (ttl === undefined || ttl === null) return {};
  if (typeof ttl !== "object") throw invalid(`ttl must be an object, got ${typeof ttl}`);
  for (const key of Object.keys(ttl)) if (!TTL_KEYS.has(key)) throw invalid(`ttl has no option ${JSON.stringify(key)}: it takes defaultTtl, refreshOnRead and sweepIntervalMinutes`);
  for (const name of ["defaultTtl", "sweepIntervalMinutes"] as const) {
    const v = ttl[name];
    if (v != null && !(typeof v === "number" && v > 0 && Number.isFinite(v))) throw invalid(`ttl.${name} must be a number of minutes > 0, got ${String(v)}`);
  }
  if (ttl.refreshOnRead !== undefined && typeof ttl.refreshOnRead !== "boolean") throw invalid(`ttl.refreshOnRead must be a boolean, got ${String(ttl.refreshOnRead)}`);
  return { ...ttl };
}
