import { afterEach, describe, expect, it } from "vitest";
import { IndexedDBStore } from "../../src/langgraph/index";
import type { Stores } from "../../src/types";
import type { Backend } from "../conformance/backend";
import { embedText } from "./embeddings";

/**
 * Where LangGraph's store backends other than InMemoryStore (PostgresStore, RedisStore, and
 * LangGraph Python's stores) agree on an answer that InMemoryStore does not give, or on a part
 * of the surface it lacks, IndexedDBStore answers as they do. (What InMemoryStore answers is
 * the differential test's: differential.spec.ts.) Runs on the engine in Node
 * (test/langgraph/store-backends.test.ts) and through the worker in the browser
 * (test/browser/store-backends.test.ts).
 */
export function storeBackendsSpec(backend: Backend): void {
  describe(`IndexedDBStore answers as LangGraph's store backends expect (${backend.name})`, () => {
    const open: Stores[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });
    async function stores(): Promise<Stores> {
      const s = await backend.open(backend.freshName("store-backends"));
      open.push(s);
      return s;
    }
    const invalidArgument = expect.objectContaining({ code: "INVALID_ARGUMENT" });

    it("takes an Embeddings object as index.embed, as PostgresStore's and LangGraph Python's index configs do, and keeps it in indexConfig", async () => {
      const calls = { documents: 0, queries: 0 };
      const embeddings = {
        embedDocuments: async (texts: string[]) => (calls.documents++, texts.map((t) => embedText(t, 4))),
        embedQuery: async (text: string) => (calls.queries++, embedText(text, 4)),
      };
      const store = new IndexedDBStore(await stores(), { index: { dims: 4, embed: embeddings, fields: ["text"] } });
      expect(store.indexConfig?.embed).toBe(embeddings);
      await store.put(["docs"], "a", { text: "apple" });
      await store.put(["docs"], "b", { text: "banana" });
      const [best] = await store.search(["docs"], { query: "apple" });
      expect(best.key).toBe("a");
      expect(best.score).toBeCloseTo(1, 6);
      expect(calls).toEqual({ documents: 2, queries: 1 });
    });

    it("rejects with INVALID_ARGUMENT, when made, an index.embeddings without embedDocuments or embedQuery, or an embed that is neither", async () => {
      const s = await stores();
      expect(() => new IndexedDBStore(s, { index: { dims: 4, embeddings: { embedDocuments: async () => [] } as never } })).toThrowError(invalidArgument);
      expect(() => new IndexedDBStore(s, { index: { dims: 4, embed: {} as never } })).toThrowError(invalidArgument);
    });

    it("rejects with INVALID_ARGUMENT an index.distanceMetric other than cosine, the similarity its scores are, and takes cosine", async () => {
      const s = await stores();
      const embed = async (texts: string[]) => texts.map((t) => embedText(t, 4));
      for (const distanceMetric of ["l2", "inner_product", "hamming"]) {
        expect(() => new IndexedDBStore(s, { index: { dims: 4, embed, distanceMetric: distanceMetric as never } }), distanceMetric).toThrowError(invalidArgument);
      }
      const store = new IndexedDBStore(s, { index: { dims: 4, embed, fields: ["text"], distanceMetric: "cosine" } });
      await store.put(["d"], "k", { text: "apple" });
      expect((await store.search(["d"], { query: "apple" }))[0].score).toBeCloseTo(1, 6);
    });

    it("rejects a ttl config with a bad defaultTtl, refreshOnRead or sweepIntervalMinutes, or a key of another spelling, with INVALID_ARGUMENT when made, not at the first put", async () => {
      const s = await stores();
      // Another store's spelling (RedisStore's defaultTTL, Python's default_ttl) is refused, not ignored.
      for (const ttl of [{ defaultTtl: -1 }, { defaultTtl: 0 }, { defaultTtl: "5" }, { defaultTtl: Infinity }, { refreshOnRead: "yes" }, { sweepIntervalMinutes: 0 }, { sweepIntervalMinutes: NaN }, 5, { defaultTTL: 1 }, { default_ttl: 1 }]) {
        expect(() => new IndexedDBStore(s, { ttl: ttl as never }), JSON.stringify(ttl)).toThrowError(invalidArgument);
      }
      // null means no default, as LangGraph Python's default_ttl=None.
      const store = new IndexedDBStore(s, { ttl: { defaultTtl: null, refreshOnRead: false, sweepIntervalMinutes: 1 } });
      await store.put(["t"], "k", { v: 1 });
      expect((await store.get(["t"], "k"))?.value).toEqual({ v: 1 });
    });

    it("moves updatedAt forward on every update of an item, over many updates in a row", async () => {
      const store = new IndexedDBStore(await stores());
      let last = -Infinity;
      for (let i = 0; i < 30; i++) {
        await store.put(["u"], "k", { i });
        const { updatedAt } = (await store.get(["u"], "k"))!;
        expect(updatedAt.getTime(), `update ${i}`).toBeGreaterThan(last);
        last = updatedAt.getTime();
      }
    });

    it("filters with $exists by whether the value has the property, null included, as PostgresStore and RedisStore do", async () => {
      const store = new IndexedDBStore(await stores());
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
      const store = new IndexedDBStore(await stores());
      const results = await store.batch([
        { namespace: ["b"], key: "1", value: { x: 1 } },
        { namespace: ["b"], key: "1" },
        { namespace: ["b"], key: "1", value: null },
      ]);
      // The get answers with the state before the batch's writes, as every read of a batch does.
      expect(results).toStrictEqual([null, null, null]);
    });
  });
}
