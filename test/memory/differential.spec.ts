import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { IndexedDBStore } from "../../src/langgraph/index";
import type { BaseStore } from "@langchain/langgraph-checkpoint";
import type { Backend } from "../conformance/backend";
import type { Stores } from "../../src/types";
import { ReferenceStore } from "./reference";
import { TestEmbeddings } from "./embeddings";

/**
 * Random sequences of puts, deletes, gets, filtered and ranked searches with pagination,
 * namespace listings and mixed batches, run against LangGraph's InMemoryStore and against
 * IndexedDBStore on `backend`; every answer (or error) must be the same, order included.
 * Timestamps are left out (each store reads its own clock); test/memory/ttl covers them.
 */

const LONE_HIGH = "\uD800";
const LONE_LOW = "\uDC00";

/** Namespaces: mostly a few ordinary ones, so items meet; hostile ones (reserved root, __proto__, lone surrogates, "*", accents) and invalid ones (empty, empty label, dot, colon, NUL) throughout. */
const namespace: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom<string[]>(["users"], ["users", "alice"], ["users", "alice", "notes"], ["users", "bob"], ["docs"], ["docs", "v1"]) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<string[]>(["__proto__"], ["__proto__", "constructor"], [`a${LONE_HIGH}`], [LONE_LOW, "x"], ["*"], ["langgraph", "x"], ["Users"], ["é"], ["e\u0301"]),
  },
  { weight: 1, arbitrary: fc.constantFrom<string[]>([], ["", "x"], ["a.b"], ["a:b"], ["x\0"]) },
);
const prefix: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<string[]>([]) },
  { weight: 6, arbitrary: namespace },
  { weight: 1, arbitrary: fc.constantFrom<string[]>(["users", "*"], ["*", "alice"], ["users", "alice", "notes", "deeper"]) },
);
const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("k1", "k2", "k3") },
  { weight: 1, arbitrary: fc.constantFrom("", ".", "a.b", "__proto__", "constructor", LONE_HIGH, `z${LONE_LOW}`, "toString") },
);
const word = fc.constantFrom("apple", "banana", "cherry", "date", "elder", "fig", LONE_HIGH + "grape");
const scalar = fc.oneof(fc.integer({ min: -1, max: 3 }), word, fc.constant(null), fc.boolean(), fc.constantFrom("3", "4.5", ""));
const value = fc.record(
  {
    n: scalar,
    s: word,
    a: fc.oneof(fc.record({ b: fc.integer({ min: 0, max: 3 }) }), scalar),
    "a.b": scalar,
    text: word,
    tags: fc.array(word, { maxLength: 3 }),
    nested: fc.record({ deep: fc.record({ x: fc.integer({ min: 0, max: 2 }) }) }),
  },
  { requiredKeys: ["text"] },
).map((v) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>); // plain objects, as an app's values are
const operand = fc.oneof(scalar, fc.record({ b: fc.integer({ min: 0, max: 3 }) }), fc.array(scalar, { maxLength: 3 }));
const comparison = fc.constantFrom("$eq", "$ne", "$gt", "$gte", "$lt", "$lte");
const condition = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(comparison, scalar).map(([o, v]) => ({ [o]: v })) },
  { weight: 2, arbitrary: scalar },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("$in", "$nin"), fc.oneof(fc.array(scalar, { maxLength: 3 }), scalar)).map(([o, v]) => ({ [o]: v })) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"), operand, { minKeys: 1, maxKeys: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom({}, { b: 1 }, { $gt: 0, b: 1 }) },
);
const filterKey = fc.oneof(
  { weight: 4, arbitrary: fc.constant("n") },
  { weight: 2, arbitrary: fc.constant("a.b") },
  { weight: 2, arbitrary: fc.constantFrom("s", "a", "nested", "missing", "text", "__proto__") },
);
// Through JSON, so a "__proto__" key is an own property, as it would be in a filter read from JSON.
const filter = fc.option(
  fc.dictionary(filterKey, condition, { minKeys: 1, maxKeys: 2 }).map((f) => JSON.parse(JSON.stringify(f))),
  { nil: undefined, freq: 3 },
);
const page = fc.record({
  limit: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined, freq: 2 }),
  offset: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined, freq: 3 }),
});
const index = fc.option(fc.constantFrom<false | string[]>(false, ["text"], ["tags[*]"], ["nested.deep", "s"], ["$"], ["{s,text}"]), { nil: undefined });
const query = fc.option(word, { nil: undefined });

type Op =
  | { kind: "put"; namespace: string[]; key: string; value: Record<string, unknown>; index?: false | string[] }
  | { kind: "delete"; namespace: string[]; key: string }
  | { kind: "get"; namespace: string[]; key: string }
  | { kind: "search"; prefix: string[]; filter?: Record<string, unknown>; limit?: number; offset?: number; query?: string }
  | { kind: "list"; prefix?: string[]; suffix?: string[]; maxDepth?: number; limit?: number; offset?: number }
  | { kind: "batch"; ops: Op[] };

const single: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("put" as const), namespace, key, value, index }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), namespace, key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("get" as const), namespace, key }) },
  { weight: 3, arbitrary: fc.tuple(prefix, filter, page, query).map(([p, f, pg, q]): Op => ({ kind: "search", prefix: p, filter: f, ...pg, query: q })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom<string[]>([], ["users"], ["docs"]), page, word).map(([p, pg, q]): Op => ({ kind: "search", prefix: p, ...pg, query: q })) },
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          prefix: fc.option(prefix, { nil: undefined, freq: 2 }),
          suffix: fc.option(prefix, { nil: undefined, freq: 4 }),
          maxDepth: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 2 }),
        },
        { requiredKeys: [] },
      )
      .chain((r) => page.map((pg): Op => ({ kind: "list", ...r, ...pg }))),
  },
);
export const op: fc.Arbitrary<Op> = fc.oneof({ weight: 6, arbitrary: single }, { weight: 1, arbitrary: fc.array(single, { minLength: 1, maxLength: 5 }).map((ops): Op => ({ kind: "batch", ops })) });

/** The batch form of an op, as LangGraph's BaseStore builds it. */
function toOperation(o: Op): unknown {
  switch (o.kind) {
    case "put":
      return { namespace: o.namespace, key: o.key, value: o.value, index: o.index };
    case "delete":
      return { namespace: o.namespace, key: o.key, value: null };
    case "get":
      return { namespace: o.namespace, key: o.key };
    case "search":
      return { namespacePrefix: o.prefix, filter: o.filter, limit: o.limit ?? 10, offset: o.offset ?? 0, query: o.query };
    case "list": {
      const matchConditions = [];
      if (o.prefix) matchConditions.push({ matchType: "prefix", path: o.prefix });
      if (o.suffix) matchConditions.push({ matchType: "suffix", path: o.suffix });
      return { matchConditions: matchConditions.length ? matchConditions : undefined, maxDepth: o.maxDepth, limit: o.limit ?? 100, offset: o.offset ?? 0 };
    }
    default:
      throw new Error("nested batch");
  }
}

async function run(store: BaseStore, o: Op): Promise<unknown> {
  switch (o.kind) {
    case "put":
      return store.put(o.namespace, o.key, o.value, o.index);
    case "delete":
      return store.delete(o.namespace, o.key);
    case "get":
      return store.get(o.namespace, o.key);
    case "search":
      return store.search(o.prefix, { filter: o.filter, limit: o.limit, offset: o.offset, query: o.query });
    case "list":
      return store.listNamespaces({ prefix: o.prefix, suffix: o.suffix, maxDepth: o.maxDepth, limit: o.limit, offset: o.offset });
    case "batch":
      return store.batch(o.ops.map(toOperation) as never);
  }
}

/** Items without their timestamps; values as JSON would give them back. */
function comparable(result: unknown): unknown {
  if (Array.isArray(result)) return result.map(comparable);
  if (result && typeof result === "object" && "key" in result && "namespace" in result) {
    const { createdAt, updatedAt, ...rest } = result as Record<string, unknown>;
    expect(createdAt).toBeInstanceOf(Date);
    expect(updatedAt).toBeInstanceOf(Date);
    return JSON.parse(JSON.stringify(rest, (k, v) => (v === undefined ? "<undefined>" : v)));
  }
  return result ?? null;
}

async function outcome(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: comparable(await fn()) };
  } catch (e) {
    return { error: (e as Error).name, message: (e as Error).message };
  }
}

function tally(seen: { compared: number; errors: number; longAnswers: number; scored: number }, answer: unknown): void {
  seen.compared++;
  const a = answer as { ok?: unknown; error?: string };
  if (a.error) seen.errors++;
  const lists = Array.isArray(a.ok) ? (a.ok.length > 0 && Array.isArray(a.ok[0]) && a.ok.every((x) => Array.isArray(x) && typeof x[0] !== "string") ? a.ok : [a.ok]) : [];
  for (const list of lists as unknown[][]) {
    if (list.length >= 2) seen.longAnswers++;
    if (list.some((x) => x && typeof x === "object" && typeof (x as { score?: unknown }).score === "number")) seen.scored++;
  }
}

export function memoryDifferentialSpec(backend: Backend, runs: number): void {
  describe(`IndexedDBStore answers as InMemoryStore (${backend.name})`, () => {
    const open: Stores[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    for (const withIndex of [false, true]) {
      it(`matches on random sequences of puts, deletes, gets, searches, listings and batches${withIndex ? ", ranked by embeddings" : ""}`, async () => {
        const seen = { compared: 0, errors: 0, longAnswers: 0, scored: 0 };
        await fc.assert(
          fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 50 }), async (ops) => {
            const stores = await backend.open(backend.freshName("memdiff"));
            open.push(stores);
            const options = withIndex ? { index: { dims: 4, embeddings: new TestEmbeddings(4), fields: ["text", "tags[*]"] } } : {};
            const reference = new ReferenceStore(options as never);
            const ours = new IndexedDBStore(stores, options);
            try {
              for (const [i, o] of ops.entries()) {
                const want = await outcome(() => run(reference, o));
                const got = await outcome(() => run(ours, o));
                expect(got, `op ${i}: ${JSON.stringify(o)}`).toEqual(want);
                tally(seen, want);
              }
            } finally {
              open.splice(open.indexOf(stores), 1);
              await stores.close();
            }
          }),
          { numRuns: runs },
        );
        console.log(`memory differential (${backend.name}${withIndex ? ", ranked" : ""}): ${JSON.stringify(seen)}`);
        // The sequences must reach what they are meant to compare: errors, pages of several items, scores.
        expect(seen.errors).toBeGreaterThan(seen.compared / 40);
        expect(seen.longAnswers).toBeGreaterThan(seen.compared / 20);
        if (withIndex) expect(seen.scored).toBeGreaterThan(seen.compared / 40);
        // Each sequence opens a store (in a browser a worker too): in Firefox on a busy 2-core
        // machine 20 ranked sequences have taken over a minute.
      }, 180_000);
    }
  });
}
