// fake-indexeddb's globals (IDBRequest, IDBKeyRange) for idb and the engine's key ranges.
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { Database } from "../../worker/db";
import { Payloads } from "../../worker/payload/index";
import { DEFAULT_LIMITS } from "../../worker/limits";
import { createMemoryStore, type EngineMemoryStore } from "../../worker/memory/index";
import { IndexedDBStore } from "../../src/langgraph/index";
import { uniqueName } from "../conformance/backend";
import { expectCode } from "../conformance/expect-code";
import { embedText } from "../memory/embeddings";
import { rawRows } from "../memory/raw-rows";

const MINUTE = 60_000;


describe("memory store (engine, with a clock the test controls)", () => {
  const factory = new IDBFactory();
  const open: Array<{ db: Database; memory: EngineMemoryStore }> = [];
  afterEach(() => {
    for (const { db, memory } of open.splice(0)) {
      memory.dispose();
      db.close();
    }
  });

  function start(options: { sweepMs?: number } = {}) {
    const name = uniqueName("memory-unit");
    const clock = { now: 1_000_000 };
    const db = new Database({ name, indexedDB: factory });
    const memory = createMemoryStore({ db, payloads: new Payloads(), now: () => clock.now, limits: DEFAULT_LIMITS }, { sweepMs: options.sweepMs ?? 600_000 });
    open.push({ db, memory });
    return { name, clock, memory, db };
  }

  it("stamps createdAt on creation and updatedAt on every put; a deleted and re-put item is new", async () => {
    const { clock, memory } = start();
    await memory.put(["u"], "k", { v: 1 });
    clock.now += 1000;
    await memory.put(["u"], "k", { v: 2 });
    expect(await memory.get(["u"], "k")).toMatchObject({ value: { v: 2 }, createdAt: 1_000_000, updatedAt: 1_001_000 });
    clock.now += 1000;
    await memory.delete(["u"], "k");
    expect(await memory.get(["u"], "k")).toBeNull();
    await memory.put(["u"], "k", { v: 3 });
    expect(await memory.get(["u"], "k")).toMatchObject({ createdAt: 1_002_000, updatedAt: 1_002_000 });
  });

  it("commits puts and deletes called without waiting in call order, even when an earlier value takes longer to prepare", async () => {
    const { memory } = start();
    // A large value takes the engine far longer to serialize, chunk and compress than a tiny one.
    const large = { text: Array.from({ length: 300_000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join("") };
    await Promise.all([memory.put(["u"], "k", large), memory.put(["u"], "k", { v: "small" })]);
    expect((await memory.get(["u"], "k"))?.value).toEqual({ v: "small" });
    await Promise.all([memory.put(["u"], "gone", large), memory.delete(["u"], "gone")]);
    expect(await memory.get(["u"], "gone")).toBeNull();
  });

  it("never returns an item once its ttl has run out: not from get, search or listNamespaces", async () => {
    const { clock, memory } = start();
    await memory.put(["u", "a"], "short", { n: 1 }, { ttl: 1 });
    await memory.put(["u", "b"], "long", { n: 2 }, { ttl: 10 });
    clock.now += MINUTE - 1;
    expect(await memory.get(["u", "a"], "short")).not.toBeNull();
    expect((await memory.search(["u"])).map((i) => i.key)).toEqual(["short", "long"]);
    clock.now += 1;
    expect(await memory.get(["u", "a"], "short")).toBeNull();
    expect((await memory.search(["u"])).map((i) => i.key)).toEqual(["long"]);
    expect(await memory.listNamespaces()).toEqual([["u", "b"]]);
  });

  it("extends the ttl from the time of a read that asks for it, and only then", async () => {
    const { clock, memory } = start();
    await memory.put(["u"], "a", { n: 1 }, { ttl: 1 });
    await memory.put(["u"], "b", { n: 2 }, { ttl: 1 });
    clock.now += 50_000;
    await memory.get(["u"], "a", { refreshTtl: true });
    await memory.search(["u"], { filter: { n: 2 }, refreshTtl: true });
    await memory.get(["u"], "b"); // no refresh asked
    clock.now += 50_000; // 100 s after the put, 50 s after the refresh
    expect((await memory.search(["u"])).map((i) => i.key)).toEqual(["a", "b"]);
    clock.now += 10_001;
    expect(await memory.search(["u"])).toEqual([]);
  });

  it("sweeps expired items in the worker on its own, rows and payloads and namespace, without any call", async () => {
    const { clock, memory, name } = start({ sweepMs: 20 });
    await memory.put(["u"], "gone", { text: "x".repeat(5000) }, { ttl: 1 });
    await memory.put(["u"], "kept", { n: 1 });
    await memory.put(["v"], "gone too", { n: 1 }, { ttl: 2 });
    expect(await rawRows(factory, name, "x")).toHaveLength(2);
    clock.now += 2 * MINUTE;
    // No call to the store: only its own timer runs.
    let items = await rawRows(factory, name, "i");
    for (let i = 0; i < 100 && items.length > 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      items = await rawRows(factory, name, "i");
    }
    expect(items.map((r) => (r.key as IDBValidKey[])[3])).toEqual(["kept"]);
    expect(await rawRows(factory, name, "x")).toEqual([]);
    expect((await rawRows(factory, name, "n")).map((r) => (r.key as IDBValidKey[])[2])).toEqual([["u"]]);
    expect(await memory.sweep()).toBe(0);
  });

  it("sweep() removes what expired and reports how many; a refreshed item is not swept at its old time", async () => {
    const { clock, memory } = start();
    await memory.put(["u"], "a", { n: 1 }, { ttl: 1 });
    await memory.put(["u"], "b", { n: 1 }, { ttl: 1 });
    clock.now += 30_000;
    await memory.get(["u"], "b", { refreshTtl: true });
    clock.now += 30_000;
    expect(await memory.sweep()).toBe(1);
    expect(await memory.get(["u"], "b")).not.toBeNull();
  });

  it("a put over an expired item that was not swept yet creates it anew", async () => {
    const { clock, memory } = start();
    await memory.put(["u"], "a", { n: 1 }, { ttl: 1 });
    await memory.put(["u"], "b", { n: 1 });
    clock.now += 2 * MINUTE;
    await memory.put(["u"], "a", { n: 2 });
    expect(await memory.get(["u"], "a")).toMatchObject({ createdAt: clock.now, value: { n: 2 } });
    expect((await memory.search(["u"])).map((i) => i.key)).toEqual(["b", "a"]);
    expect(await memory.sweep()).toBe(0);
  });

  it("IndexedDBStore applies defaultTtl, a put's own ttl or null, and refreshOnRead", async () => {
    const { clock, memory } = start();
    const store = new IndexedDBStore({ memory }, { ttl: { defaultTtl: 1, refreshOnRead: false } });
    await store.put(["u"], "default", { n: 1 });
    await store.put(["u"], "own", { n: 1 }, undefined, { ttl: 5 });
    await store.put(["u"], "forever", { n: 1 }, undefined, { ttl: null });
    clock.now += 50_000;
    await store.get(["u"], "default"); // refreshOnRead is off
    await store.search(["u"], { refreshTtl: true, filter: { missing: { $ne: 1 } } }); // but asked here: all three
    clock.now += 59_999;
    expect((await store.search(["u"])).map((i) => i.key)).toEqual(["default", "own", "forever"]);
    clock.now += 5 * MINUTE;
    expect((await store.search(["u"])).map((i) => i.key)).toEqual(["forever"]);
  });
});

describe("memory store input checks", () => {
  const factory = new IDBFactory();
  const dbs: Array<{ db: Database; memory: EngineMemoryStore }> = [];
  afterEach(() => dbs.splice(0).forEach(({ db, memory }) => (memory.dispose(), db.close())));
  async function start() {
    const name = uniqueName("memory-checks");
    const db = new Database({ name, indexedDB: factory });
    await db.ready();
    const memory = createMemoryStore({ db, payloads: new Payloads(), now: () => Date.now(), limits: DEFAULT_LIMITS });
    dbs.push({ db, memory });
    return { memory, name };
  }

  it("rejects values JSON would change, bad namespaces, keys, ttl, limits and vectors with INVALID_ARGUMENT, writing nothing of the batch", async () => {
    const { memory, name } = await start();
    const good = { op: "put" as const, namespace: ["u"], key: "ok", value: { n: 1 } };
    const bad: unknown[] = [
      { ...good, value: { n: NaN } },
      { ...good, value: { f: () => 1 } },
      { ...good, value: { big: 1n } },
      { ...good, value: { m: new Map() } },
      { ...good, value: "text" },
      { ...good, value: [1] },
      { ...good, namespace: [] },
      { ...good, namespace: ["a.b"] },
      { ...good, namespace: ["a", ""] },
      { ...good, namespace: "u" },
      { ...good, key: 7 },
      { ...good, ttl: 0 },
      { ...good, ttl: "1" },
      { ...good, vectors: [{ field: "t", vector: [1, NaN] }] },
      { ...good, vectors: [{ field: "t", vector: [1] }, { field: "u", vector: [1, 2] }] },
      { op: "search", namespacePrefix: ["u"], limit: -1 },
      { op: "search", namespacePrefix: ["u"], filter: [1] },
      { op: "list", maxDepth: 1.5 },
      { op: "drop" },
    ];
    for (const op of bad) await expectCode(memory.batch([good, op] as never), "INVALID_ARGUMENT");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expectCode(memory.put(["u"], "c", cyclic), "INVALID_ARGUMENT");
    expect(await rawRows(factory, name, "i")).toEqual([]);
  });

  it("loads more items than one read page on a cold start, in namespace and creation order", async () => {
    const { memory, name } = await start();
    const ops = Array.from({ length: 1234 }, (_, i) => ({ op: "put" as const, namespace: ["n", `g${i % 3}`], key: `k${String(1234 - i).padStart(5, "0")}`, value: { i } }));
    await memory.batch(ops);
    const db = new Database({ name, indexedDB: factory });
    const cold = createMemoryStore({ db, payloads: new Payloads(), now: () => Date.now(), limits: DEFAULT_LIMITS });
    dbs.push({ db, memory: cold });
    const found = (await cold.search(["n"], { limit: 2000 })).map((item) => item.value.i as number);
    const expected = ops.map((o) => o.value.i).sort((a, b) => (a % 3) - (b % 3) || a - b);
    expect(found).toEqual(expected);
  });

  it("orders search results by the namespace a batch touched first, also when it fills them in another order, warm and cold", async () => {
    const { memory, name } = await start();
    expect(await memory.search([], {})).toEqual([]); // loads the cache before the batch: the warm path
    // The delete places ["a"] before ["b"], though ["b"] receives its item first.
    await memory.batch([
      { op: "put", namespace: ["a"], key: "gone", value: null },
      { op: "put", namespace: ["b"], key: "1", value: { n: 1 } },
      { op: "put", namespace: ["a"], key: "2", value: { n: 2 } },
    ] as never);
    const warm = (await memory.search([], {})).map((item) => item.namespace[0]);
    const db = new Database({ name, indexedDB: factory });
    const cold = createMemoryStore({ db, payloads: new Payloads(), now: () => Date.now(), limits: DEFAULT_LIMITS });
    dbs.push({ db, memory: cold });
    expect(warm).toEqual(["a", "b"]);
    expect((await cold.search([], {})).map((item) => item.namespace[0])).toEqual(["a", "b"]);
  });

  it("stores each vector as float32 bytes, not numbers, and ranks with them", async () => {
    const { memory, name } = await start();
    const vector = Float32Array.from(embedText("apple", 384));
    await memory.put(["u"], "k", { text: "apple" }, { vectors: [{ field: "text", vector }] });
    const [row] = await rawRows(factory, name, "i");
    const stored = (row.value as unknown[])[5];
    expect(stored).toBeInstanceOf(Float32Array);
    expect((stored as Float32Array).byteLength).toBe(384 * 4);
    const [hit] = await memory.search(["u"], { query: Array.from(vector) });
    expect(hit.score).toBeCloseTo(1, 12);
  });

  it("keeps values through the payload module: a damaged stored value is INTEGRITY, never a wrong answer", async () => {
    const { memory, name } = await start();
    await memory.put(["u"], "k", { text: "hello ".repeat(40) });
    const db = await new Promise<IDBDatabase>((resolve) => {
      const req = factory.open(name);
      req.onsuccess = () => resolve(req.result);
    });
    const store = db.transaction("meta", "readwrite").objectStore("meta");
    const key = ["m", "i", ["u"], "k"];
    await new Promise<void>((resolve) => {
      const get = store.get(key);
      get.onsuccess = () => {
        const row = get.result as unknown[];
        const ref = row[3] as unknown[];
        const bytes = (ref[2] as Uint8Array).slice();
        bytes[bytes.length >> 1] ^= 0xff;
        ref[2] = bytes;
        store.put(row, key).onsuccess = () => resolve();
      };
    });
    db.close();
    await expectCode(memory.get(["u"], "k"), "INTEGRITY");
  });
});
