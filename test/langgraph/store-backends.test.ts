import { afterEach, describe, expect, it } from "vitest";
import { IDBFactory } from "fake-indexeddb";
import { IndexedDBStore } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { Database } from "../../worker/db";
import { Payloads } from "../../worker/payload/index";
import { DEFAULT_LIMITS } from "../../worker/limits";
import { createMemoryStore, type EngineMemoryStore } from "../../worker/memory/index";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";
import { embedText } from "../memory/embeddings";

/**
 * Where LangGraph's store backends other than InMemoryStore (PostgresStore, RedisStore, and
 * LangGraph Python's stores) agree on an answer that InMemoryStore does not give, or on a part
 * of the surface it lacks, IndexedDBStore answers as they do. (What InMemoryStore answers is
 * the differential test's: test/memory/differential.spec.ts.)
 */
describe("IndexedDBStore answers as LangGraph's store backends expect", () => {
  const engines: Engine[] = [];
  const memories: Array<{ db: Database; memory: EngineMemoryStore }> = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    for (const { db, memory } of memories.splice(0)) {
      await memory.dispose();
      db.close();
    }
  });
  async function engine(): Promise<Engine> {
    const e = await openTestEngine();
    engines.push(e);
    return e;
  }
  /** A memory store whose clock stands still unless the test moves it. */
  function frozen() {
    const clock = { now: 1_700_000_000_000 };
    const db = new Database({ name: uniqueName("store-backends"), indexedDB: new IDBFactory() });
    const memory = createMemoryStore({ db, payloads: new Payloads(), now: () => clock.now, limits: DEFAULT_LIMITS }, { sweepMs: 600_000 });
    memories.push({ db, memory });
    return { clock, memory };
  }

  it("takes an Embeddings object as index.embed, as PostgresStore's and LangGraph Python's index configs do, and keeps it in indexConfig", async () => {
    const calls = { documents: 0, queries: 0 };
    const embeddings = {
      embedDocuments: async (texts: string[]) => (calls.documents++, texts.map((t) => embedText(t, 4))),
      embedQuery: async (text: string) => (calls.queries++, embedText(text, 4)),
    };
    const store = new IndexedDBStore(await engine(), { index: { dims: 4, embed: embeddings, fields: ["text"] } });
    expect(store.indexConfig?.embed).toBe(embeddings);
    await store.put(["docs"], "a", { text: "apple" });
    await store.put(["docs"], "b", { text: "banana" });
    const [best] = await store.search(["docs"], { query: "apple" });
    expect(best.key).toBe("a");
    expect(best.score).toBeCloseTo(1, 6);
    expect(calls).toEqual({ documents: 2, queries: 1 });
  });

  it("rejects with INVALID_ARGUMENT when index.embeddings lacks embedDocuments or embedQuery, before any call", async () => {
    const e = await engine();
    expect(() => new IndexedDBStore(e, { index: { dims: 4, embeddings: { embedDocuments: async () => [] } as never } })).toThrowError(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => new IndexedDBStore(e, { index: { dims: 4, embed: {} as never } })).toThrowError(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });

  it("rejects with INVALID_ARGUMENT an index.distanceMetric other than cosine, the similarity its scores are, and takes cosine", async () => {
    const e = await engine();
    const embed = async (texts: string[]) => texts.map((t) => embedText(t, 4));
    for (const distanceMetric of ["l2", "inner_product", "hamming"]) {
      expect(() => new IndexedDBStore(e, { index: { dims: 4, embed, distanceMetric: distanceMetric as never } }), distanceMetric).toThrowError(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
    const store = new IndexedDBStore(e, { index: { dims: 4, embed, fields: ["text"], distanceMetric: "cosine" } });
    await store.put(["d"], "k", { text: "apple" });
    expect((await store.search(["d"], { query: "apple" }))[0].score).toBeCloseTo(1, 6);
  });

  it("moves updatedAt forward on every update of an item, also when the clock has not moved since the last one", async () => {
    const { clock, memory } = frozen();
    const store = new IndexedDBStore({ memory });
    await store.put(["u"], "k", { v: 1 });
    const first = (await store.get(["u"], "k"))!;
    await store.put(["u"], "k", { v: 2 });
    const second = (await store.get(["u"], "k"))!;
    await store.batch([{ namespace: ["u"], key: "k", value: { v: 3 } }]);
    const third = (await store.search(["u"]))[0];
    expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    expect(third.updatedAt.getTime()).toBeGreaterThan(second.updatedAt.getTime());
    expect(third.createdAt.getTime()).toBe(clock.now);
    // A clock that steps back does not take updatedAt back with it.
    clock.now -= 60_000;
    await store.put(["u"], "k", { v: 4 });
    expect((await store.get(["u"], "k"))!.updatedAt.getTime()).toBeGreaterThan(third.updatedAt.getTime());
    // A new item is stamped with the clock as it is.
    await store.put(["u"], "new", { v: 1 });
    expect((await store.get(["u"], "new"))!.updatedAt.getTime()).toBe(clock.now);
  });

  it("takes PostgresStore's ttl config (defaultTtl, refreshOnRead, sweepIntervalMinutes) and its sweepExpiredItems()", async () => {
    const { clock, memory } = frozen();
    const store = new IndexedDBStore({ memory }, { ttl: { defaultTtl: 1, refreshOnRead: true, sweepIntervalMinutes: 1 } });
    await store.start();
    await store.put(["t"], "k", { v: 1 });
    clock.now += 61_000;
    expect(await store.sweepExpiredItems()).toBe(1);
    expect(await store.sweepExpiredItems()).toBe(0);
    await store.stop();
  });

  it("rejects a ttl config with a bad defaultTtl, refreshOnRead or sweepIntervalMinutes, or a key of another spelling, with INVALID_ARGUMENT when made, not at the first put", async () => {
    const e = await engine();
    // Another store's spelling (RedisStore's defaultTTL, Python's default_ttl) is refused, not ignored.
    for (const ttl of [{ defaultTtl: -1 }, { defaultTtl: 0 }, { defaultTtl: "5" }, { defaultTtl: Infinity }, { refreshOnRead: "yes" }, { sweepIntervalMinutes: 0 }, { sweepIntervalMinutes: NaN }, 5, { defaultTTL: 1 }, { default_ttl: 1 }]) {
      expect(() => new IndexedDBStore(e, { ttl: ttl as never }), JSON.stringify(ttl)).toThrowError(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
    // null means no default, as LangGraph Python's default_ttl=None.
    const store = new IndexedDBStore(e, { ttl: { defaultTtl: null } });
    await store.put(["t"], "k", { v: 1 });
    expect((await store.get(["t"], "k"))?.value).toEqual({ v: 1 });
  });

  it("filters with $exists by whether the value has the property, null included, as PostgresStore and RedisStore do", async () => {
    const store = new IndexedDBStore(await engine());
    await store.put(["p"], "wood", { material: "wood", price: 5 });
    await store.put(["p"], "none", { material: null, price: 7 });
    await store.put(["p"], "bare", { price: 9 });
    const keys = async (filter: Record<string, unknown>) => (await store.search(["p"], { filter })).map((i) => i.key);
    expect(await keys({ material: { $exists: true } })).toEqual(["wood", "none"]);
    expect(await keys({ material: { $exists: false } })).toEqual(["bare"]);
    expect(await keys({ material: { $exists: true }, price: { $gt: 6 } })).toEqual(["none"]);
    expect(await keys({ price: { $exists: true, $lt: 8 } })).toEqual(["wood", "none"]);
  });

  it("answers null for each put and delete of a batch, as InMemoryStore, RedisStore and LangGraph Python's stores do (PostgresStore.js answers undefined)", async () => {
    const store = new IndexedDBStore(await engine());
    const results = await store.batch([
      { namespace: ["b"], key: "1", value: { x: 1 } },
      { namespace: ["b"], key: "1" },
      { namespace: ["b"], key: "1", value: null },
    ]);
    // The get answers with the state before the batch's writes, as every read of a batch does.
    expect(results).toStrictEqual([null, null, null]);
  });
});
