import type { BaseCheckpointSaver, CheckpointTuple } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";

/**
 * Everything a LangGraph app can read back about a thread, in a form two runs of one scenario
 * can be compared by: the graph's getState (with subgraphs) and whole getStateHistory, and the
 * checkpointer's own getTuple, get and list for every namespace of the thread, field for field.
 */

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const HEX_ID = /\b[0-9a-f]{32}\b/g;
/** IndexedDBSaver's channel versions: a zero-padded counter and a random part. */
const PADDED_VERSION = /^(\d{10})\.[0-9a-z]{8}$/;

/**
 * JSON with run-specific parts made comparable: timestamps dropped; every checkpoint, task and
 * interrupt id replaced by the order in which this normalizer first met it; channel versions by
 * their counter (MemorySaver counts 1, 2, 3; IndexedDBSaver adds a random part to keep branches
 * apart). One normalizer per run, so ids keep their tokens from one snapshot to the next.
 */
export class Normalizer {
  private readonly tokens = new Map<string, string>();

  token(id: string): string {
    if (!this.tokens.has(id)) this.tokens.set(id, `<id${this.tokens.size}>`);
    return this.tokens.get(id)!;
  }

  text(s: string): string {
    return s.replace(UUID, (id) => this.token(id)).replace(HEX_ID, (id) => this.token(id));
  }

  apply(value: unknown): unknown {
    const json = JSON.stringify(value, (key, v: unknown) => {
      if (key === "createdAt" || key === "ts") return undefined;
      if (typeof v === "string") {
        const m = PADDED_VERSION.exec(v);
        if (m) return Number.parseInt(m[1], 10);
      }
      // Keys sorted: savers build configs in different key orders, and tokens go by first sight.
      if (v && typeof v === "object" && !Array.isArray(v)) {
        return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      }
      return v;
    });
    return json === undefined ? undefined : JSON.parse(this.text(json));
  }
}

interface Inspectable {
  getState(config: RunnableConfig, options?: { subgraphs?: boolean }): Promise<unknown>;
  getStateHistory(config: RunnableConfig): AsyncIterableIterator<unknown>;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export async function snapshot(n: Normalizer, graph: Inspectable, saver: BaseCheckpointSaver, threadId: string): Promise<unknown> {
  const cfg = { configurable: { thread_id: threadId } };
  // State and history first: they meet task ids in a fixed order, which then orders namespaces.
  const state = n.apply(await graph.getState(cfg, { subgraphs: true }));
  const history = n.apply(await collect(graph.getStateHistory(cfg)));
  const all: CheckpointTuple[] = await collect(saver.list(cfg));
  const namespaces = [...new Set(all.map((t) => String(t.config.configurable?.checkpoint_ns)))]
    .map((ns) => [n.text(ns), ns] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const perNamespace: unknown[] = [];
  for (const [, ns] of namespaces) {
    const nsCfg = { configurable: { thread_id: threadId, checkpoint_ns: ns } };
    const listed = await collect(saver.list(nsCfg));
    const latest = await saver.getTuple(nsCfg);
    // The oldest checkpoint by its id: getTuple and get with a checkpoint_id, not only the latest.
    const oldestCfg = { configurable: { ...nsCfg.configurable, checkpoint_id: listed[listed.length - 1]?.checkpoint.id } };
    perNamespace.push(
      unorderedWrites(
        n.apply({
        ns,
        latest,
        oldest: await saver.getTuple(oldestCfg),
        get: await saver.get(oldestCfg),
        list: listed,
          listLimit2: await collect(saver.list(nsCfg, { limit: 2 })),
        }),
      ),
    );
  }
  return { state, history, checkpoints: all.length, perNamespace };
}

/**
 * Pending writes sorted by their normalized text. Both savers order them by (task path, task id,
 * index), but resume writes of parallel tasks share a path, and task ids are random per run, so
 * their order differs from run to run on any saver (saver-behaviour.test.ts checks the order).
 */
function unorderedWrites(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unorderedWrites);
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === "pendingWrites" && Array.isArray(v) ? [...v].sort((a, b) => cmp(JSON.stringify(a), JSON.stringify(b))) : unorderedWrites(v);
  }
  return out;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
