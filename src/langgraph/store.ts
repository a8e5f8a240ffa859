import { BaseStore, validateNamespace, type Item, type Operation, type OperationResults, type SearchItem } from "@langchain/langgraph-checkpoint";
import { StoreError } from "../errors.js";
import type { MemoryItem, MemoryOp, MemoryResult, MemoryStore, MemoryVector } from "../types.js";
import { CallOrder } from "../call-order.js";
import { textsAtPath, tokenizePath } from "./text-at-path.js";
import { checkedIndex, checkedTtl, type Embedder, type IndexedDBStoreIndex, type IndexedDBStoreOptions, type IndexedDBStoreTtl } from "./store-options.js";

export type { EmbeddingsLike, IndexedDBStoreIndex, IndexedDBStoreOptions, IndexedDBStoreTtl } from "./store-options.js";

/**
 * LangGraph.js long-term memory (a `BaseStore`) over the library's memory store: items under
 * namespaces, shared by every thread, found by key, by filter or by meaning, kept in IndexedDB.
 * It answers as LangGraph's InMemoryStore does (same validation, filters, order, pagination and
 * ranking), plus a time to live per item. Embedding runs here, on the calling side, since the
 * embedding function is the app's; only the vectors cross to the worker.
 *
 * Pass either a worker client from `openStore` or an engine from `openEngine`.
 */
export interface MemoryHost {
  memory: MemoryStore;
}

type AnyOp = Operation & { refreshTtl?: boolean; options?: { ttl?: number | null }; ttl?: number | null };

const MISSING = "IndexedDBStore needs a store from openStore or openEngine";

export class IndexedDBStore extends BaseStore {
  private readonly memory: MemoryStore;
  private readonly index?: IndexedDBStoreIndex & { tokenized: Array<[string, string[]]> };
  private readonly ttl: IndexedDBStoreTtl;

  constructor(host: MemoryHost, options: IndexedDBStoreOptions = {}) {
    super();
    if (!host || typeof host !== "object" || !host.memory) throw new StoreError("INVALID_ARGUMENT", MISSING);
    this.memory = host.memory;
    const index = checkedIndex(options.index);
    if (index) {
      this.index = { ...index.config, tokenized: (index.config.fields ?? ["$"]).map((p) => [p, p === "$" ? [p] : tokenizePath(p)]) };
      this.embedder = index.embedder;
    }
    this.ttl = checkedTtl(options.ttl);
  }

  /** What embeds: the index's Embeddings object, or its function of texts. */
  private embedder?: Embedder;

  /** The index configuration, as InMemoryStore exposes it. */
  get indexConfig(): IndexedDBStoreIndex | undefined {
    return this.index;
  }

  override async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    const ops = operations as AnyOp[];
    const refreshDefault = this.ttl.refreshOnRead ?? true;
    // Namespaces are checked as InMemoryStore checks them, with LangGraph's error, before anything runs.
    for (const op of ops) {
      if ("namespace" in op) validateNamespace(op.namespace, { allowReservedRoot: true });
      if ("namespacePrefix" in op && op.namespacePrefix.length > 0) validateNamespace(op.namespacePrefix, { allowReservedRoot: true });
    }
    // Batches reach the engine in the order they were called, whatever their embedding takes:
    // a put called after another of the same key must land after it.
    const wire = this.toWire(ops, refreshDefault);
    const results = await this.order.send(wire, (w) => this.memory.batch(w));
    return this.fromWire(await wire, results) as OperationResults<Op>;
  }

  private readonly order = new CallOrder();

  private async toWire(ops: AnyOp[], refreshDefault: boolean): Promise<MemoryOp[]> {
    const vectors = await this.embedPuts(ops);
    const queries = await this.embedQueries(ops);
    return ops.map((op): MemoryOp => {
      if ("key" in op && "namespace" in op && !("value" in op)) {
        return { op: "get", namespace: op.namespace, key: op.key, refreshTtl: op.refreshTtl ?? refreshDefault };
      }
      if ("namespacePrefix" in op) {
        const query = op.query ? queries.get(op.query) : undefined;
        return {
          op: "search",
          namespacePrefix: op.namespacePrefix,
          filter: op.filter,
          limit: op.limit ?? 10,
          offset: op.offset ?? 0,
          ...(query ? { query } : {}),
          refreshTtl: op.refreshTtl ?? refreshDefault,
        };
      }
      if ("value" in op) {
        if (op.value === null) return { op: "put", namespace: op.namespace, key: op.key, value: null };
        const ttl = op.options?.ttl !== undefined ? op.options.ttl : op.ttl !== undefined ? op.ttl : this.ttl.defaultTtl;
        const v = vectors.get(op);
        return { op: "put", namespace: op.namespace, key: op.key, value: op.value, ...(v ? { vectors: v } : {}), ...(ttl != null ? { ttl } : {}) };
      }
      const list = op as { matchConditions?: Array<{ matchType: "prefix" | "suffix"; path: string[] }>; maxDepth?: number; limit?: number; offset?: number };
      return { op: "list", matchConditions: list.matchConditions, maxDepth: list.maxDepth, limit: list.limit, offset: list.offset };
    });
  }

  private fromWire(wire: MemoryOp[], results: MemoryResult[]): unknown[] {
    return results.map((r, i) => {
      switch (wire[i].op) {
        case "get":
          return r ? toItem(r as MemoryItem) : null;
        case "search":
          return (r as MemoryItem[]).map((item) => ({ ...toItem(item), score: item.score }) satisfies SearchItem);
        case "list":
          return r;
        default:
          return null;
      }
    });
  }

  /** `refreshTtl` overrides the store's refreshOnRead for this read. */
  override async get(namespace: string[], key: string, options: { refreshTtl?: boolean } = {}): Promise<Item | null> {
    validateNamespace(namespace, { allowEmpty: true, allowReservedRoot: true });
    return (await this.batch([{ namespace, key, refreshTtl: options.refreshTtl } as Operation]))[0] as Item | null;
  }

  /** `ttl` in minutes: the item is gone that long after this put (or after a read that refreshes it); null: never. */
  override async put(namespace: string[], key: string, value: Record<string, unknown>, index?: false | string[], options: { ttl?: number | null } = {}): Promise<void> {
    validateNamespace(namespace);
    await this.batch([{ namespace, key, value, index, options } as Operation]);
  }

  override async search(
    namespacePrefix: string[],
    options: { filter?: Record<string, unknown>; query?: string; limit?: number; offset?: number; refreshTtl?: boolean } = {},
  ): Promise<SearchItem[]> {
    validateNamespace(namespacePrefix, { allowEmpty: true, allowReservedRoot: true });
    const { filter, limit = 10, offset = 0, query, refreshTtl } = options;
    return (await this.batch([{ namespacePrefix, filter, limit, offset, query, refreshTtl } as Operation]))[0] as SearchItem[];
  }

  /** Removes expired items now (the worker also does so on its own); resolves with how many. */
  sweepExpired(): Promise<number> {
    return this.memory.sweep();
  }

  /** sweepExpired under PostgresStore's name for it. */
  sweepExpiredItems(): Promise<number> {
    return this.sweepExpired();
  }

  /** Nothing to start: the store's database is opened by openStore / openEngine. */
  override start(): void {}

  /** Nothing to stop: the app closes the store it opened (store.close()). */
  override stop(): void {}

  /**
   * The vectors of each put, from one embedding call for the batch's distinct texts. Texts are
   * taken as InMemoryStore takes them: from the put's own `index` paths, else the configured
   * fields; a path that selects several texts gives fields "path.0", "path.1", ...
   */
  private async embedPuts(ops: AnyOp[]): Promise<Map<AnyOp, MemoryVector[]>> {
    const out = new Map<AnyOp, MemoryVector[]>();
    if (!this.index) return out;
    const wanted: Array<{ op: AnyOp; field: string; text: string }> = [];
    for (const op of ops) {
      if (!("value" in op) || op.value === null || op.index === false) continue;
      const paths: Array<[string, string | string[]]> = op.index == null ? this.index.tokenized : op.index.map((p) => [p, tokenizePath(p)]);
      for (const [path, tokens] of paths) {
        const texts = textsAtPath(op.value, tokens);
        texts.forEach((text, i) => wanted.push({ op, field: texts.length > 1 ? `${path}.${i}` : path, text }));
      }
      out.set(op, []);
    }
    const distinct = [...new Set(wanted.map((w) => w.text))];
    if (distinct.length === 0) return out;
    const embedded = await this.embedTexts(distinct, false);
    const byText = new Map(distinct.map((t, i) => [t, Float32Array.from(embedded[i])]));
    for (const { op, field, text } of wanted) {
      const list = out.get(op)!;
      const at = list.findIndex((v) => v.field === field);
      const vector = { field, vector: byText.get(text)! };
      if (at >= 0) list[at] = vector;
      else list.push(vector);
    }
    return out;
  }

  private async embedQueries(ops: AnyOp[]): Promise<Map<string, Float64Array>> {
    const out = new Map<string, Float64Array>();
    if (!this.index) return out;
    const queries = [...new Set(ops.flatMap((op) => ("namespacePrefix" in op && op.query ? [op.query] : [])))];
    if (queries.length === 0) return out;
    const embedder = this.embedder!;
    const vectors =
      typeof embedder === "function" ? await this.embedTexts(queries, true) : await Promise.all(queries.map(async (q) => this.checked(await embedder.embedQuery(q))));
    // A query stays in double precision: only stored vectors are float32.
    queries.forEach((q, i) => out.set(q, Float64Array.from(vectors[i])));
    return out;
  }

  private async embedTexts(texts: string[], asQuery: boolean): Promise<ArrayLike<number>[]> {
    const embedder = this.embedder!;
    const vectors = typeof embedder === "function" ? await embedder(texts) : await embedder.embedDocuments(texts);
    if (!Array.isArray(vectors) || vectors.length !== texts.length) {
      throw new StoreError("INVALID_ARGUMENT", `the embedding function returned ${Array.isArray(vectors) ? vectors.length : "no"} vectors for ${texts.length} texts`);
    }
    return vectors.map((v) => this.checked(v));
  }

  private checked(v: ArrayLike<number>): ArrayLike<number> {
    if (!v || v.length !== this.index!.dims) throw new StoreError("INVALID_ARGUMENT", `an embedding has ${v?.length} dimensions; index.dims is ${this.index!.dims}`);
    return v;
  }
}

function toItem(item: MemoryItem): Item {
  return { namespace: item.namespace, key: item.key, value: item.value, createdAt: new Date(item.createdAt), updatedAt: new Date(item.updatedAt) };
}
