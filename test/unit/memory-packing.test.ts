// fake-indexeddb's globals (IDBRequest, IDBKeyRange) for idb and the engine's key ranges.
import "fake-indexeddb/auto";
import { describe, expect, it, vi } from "vitest";
import { Payloads } from "../../worker/payload/index";
import { DEFAULT_LIMITS } from "../../worker/limits";
import { measureUsage } from "../../worker/usage";
import type { EngineMemoryStore } from "../../worker/memory/index";
import { uniqueName } from "../conformance/backend";
import { expectCode } from "../conformance/expect-code";
import { embedText } from "../memory/embeddings";
import { packingHarness, view } from "../memory/packing-harness";

/**
 * Packed items (worker/memory/packer.ts): moved from their rows into blocks, read back by gets,
 * by cold loads and by other connections (tabs), written over, deleted, expired and refreshed,
 * and blocks freed; a packing that is interrupted or overtaken by another write leaves the
 * state before it, whole. Blocks of 3 items, packed only when the test asks.
 */
const MINUTE = 60_000;

type Row = { key: IDBValidKey[]; value: unknown };

describe("memory store packing (engine, blocks of 3, a clock the test controls)", () => {
  const { clock, connect, seeded, rawRowsOf, putRaw, count } = packingHarness();

  async function answers(memory: EngineMemoryStore) {
    return {
      all: view(await memory.search(["u"], { limit: 100 })),
      ranked: view(await memory.search(["u"], { query: embedText("note 4", 8), limit: 3 })),
      filtered: view(await memory.search(["u"], { filter: { i: { $gte: 3 } } })),
      got: await Promise.all(["k0", "k1", "k4"].map((k) => memory.get(["u", k === "k0" || k === "k4" ? "even" : "odd"], k))),
      namespaces: await memory.listNamespaces(),
    };
  }

  it("moves every item row into blocks, and gets, searches and listings answer the same, warm and cold", async () => {
    const { name, memory } = await seeded();
    const before = await answers(memory);
    expect(await memory.pack()).toBe(7);
    expect(await count(name, "i")).toBe(0);
    expect((await rawRowsOf(name, "p")).map((r) => r.value)).toHaveLength(7);
    expect(await count(name, "b")).toBe(3);
    expect(await count(name, "v")).toBe(3);
    expect(await answers(memory)).toEqual(before);
    expect(await answers(connect(name).memory)).toEqual(before);
    // Nothing left to pack: a second round moves nothing and writes nothing.
    expect(await memory.pack()).toBe(0);
    expect(await count(name, "b")).toBe(3);
  });

  it("decodes a block once for the gets of its packed items by a worker without a copy of the items, and gives each get a value of its own", async () => {
    const { name, memory } = await seeded();
    await memory.pack();
    // A new connection has no copy of the items (no search yet): gets read blocks.
    const reader = connect(name).memory;
    const unwrap = vi.spyOn(Payloads.prototype, "unwrap");
    try {
      const keys = ["k0", "k2", "k4", "k6"];
      const first = await Promise.all(keys.map((k) => reader.get(["u", "even"], k)));
      const decodes = unwrap.mock.calls.length;
      expect(decodes).toBeGreaterThan(0);
      (first[0]!.value as Record<string, unknown>).changed = true;
      const again = await Promise.all(keys.map((k) => reader.get(["u", "even"], k)));
      // The second round decoded nothing: its blocks were decoded by the first.
      expect(unwrap.mock.calls.length).toBe(decodes);
      expect(again.map((item) => item?.value)).toEqual(keys.map((k) => ({ i: Number(k.slice(1)), text: `note ${k.slice(1)}` })));
    } finally {
      unwrap.mockRestore();
    }
  });

  it("keeps a block's vectors as float32 in a Blob, and their scores the same numbers", async () => {
    const { name, memory } = await seeded();
    const ranked = await memory.search(["u"], { query: embedText("note 2", 8), limit: 7 });
    await memory.pack();
    const [v] = await rawRowsOf(name, "v");
    expect(v.value).toBeInstanceOf(Blob);
    const floats = new Float32Array(await (v.value as Blob).arrayBuffer());
    // Blocks of 3 items, by namespace then age: the first is k0, k2, k4 of "even", of which k2 and k4 have vectors (8 dimensions).
    expect(floats).toHaveLength(2 * 8);
    expect(Array.from(floats.subarray(0, 8))).toEqual(Array.from(Float32Array.from(embedText("note 2", 8))));
    expect(await connect(name).memory.search(["u"], { query: embedText("note 2", 8), limit: 7 })).toEqual(ranked);
  });

  it("counts a block's vectors in usage() by their bytes, as a Blob and as an array", async () => {
    const name = uniqueName("memory-packing-usage");
    const { db, memory } = connect(name, { blockItems: 100 });
    const dims = 256;
    await memory.batch(Array.from({ length: 300 }, (_, i) => ({ op: "put" as const, namespace: ["u"], key: `k${i}`, value: { i }, vectors: [{ field: "text", vector: embedText(`note ${i}`, dims) }] })));
    expect(await memory.pack()).toBe(300);
    const vectorBytes = 300 * dims * 4;
    const stored = async () => (await measureUsage({ db, payloads: new Payloads(), now: () => clock.now, limits: DEFAULT_LIMITS })).total.stored;
    const asBlobs = await stored();
    // The vectors, plus a few bytes a row for keys, pointers and the 300 small values.
    expect(asBlobs).toBeGreaterThan(vectorBytes);
    expect(asBlobs).toBeLessThan(vectorBytes + 40_000);
    const rows = await rawRowsOf(name, "v");
    await putRaw(name, await Promise.all(rows.map(async (r): Promise<[IDBValidKey, unknown]> => [r.key, new Float32Array(await (r.value as Blob).arrayBuffer())])));
    expect(await stored()).toBe(asBlobs);
  });

  it("reads blocks whose vectors were stored as arrays, as before Blobs were used", async () => {
    const { name, memory } = await seeded();
    const ranked = await memory.search(["u"], { query: embedText("note 2", 8), limit: 7 });
    await memory.pack();
    const rows = await rawRowsOf(name, "v");
    const arrays = await Promise.all(rows.map(async (r) => new Float32Array(await (r.value as Blob).arrayBuffer())));
    await putRaw(name, rows.map((r, i) => [r.key, arrays[i]]));
    expect((await rawRowsOf(name, "v")).map((r) => r.value)).toEqual(arrays);
    expect(await connect(name).memory.search(["u"], { query: embedText("note 2", 8), limit: 7 })).toEqual(ranked);
    // A block read as an array is dissolved and packed anew like any other.
    await memory.delete(["u", "even"], "k0");
    await memory.delete(["u", "even"], "k2");
    expect(await memory.pack()).toBeGreaterThan(0);
    expect(await connect(name).memory.search(["u"], { query: embedText("note 2", 8), limit: 7 })).toEqual(ranked.filter((i) => i.key !== "k0" && i.key !== "k2"));
  });

  it("stores the vectors as an array, whole, when the engine refuses to keep a Blob", async () => {
    const { name, memory } = await seeded();
    const ranked = await memory.search(["u"], { query: embedText("note 2", 8), limit: 7 });
    // fake-indexeddb's object store class (this file's globals): its put throws as a browser's does for a value it cannot keep.
    const realPut = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: unknown, value: unknown, key?: IDBValidKey) {
      if (value instanceof Blob) throw new DOMException("a Blob cannot be stored here", "DataCloneError");
      return realPut.call(this, value, key);
    } as typeof realPut;
    try {
      expect(await memory.pack()).toBe(7);
      expect(await memory.pack()).toBe(0);
    } finally {
      IDBObjectStore.prototype.put = realPut;
    }
    const rows = await rawRowsOf(name, "v");
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r.value).toBeInstanceOf(Float32Array);
    expect(await count(name, "i")).toBe(0);
    expect(await connect(name).memory.search(["u"], { query: embedText("note 2", 8), limit: 7 })).toEqual(ranked);
  });

  it("updates and deletes packed items: an update keeps its creation time and place, a delete leaves a dead slot", async () => {
    const { name, memory } = await seeded();
    await memory.pack();
    clock.now += 1000;
    await memory.put(["u", "odd"], "k1", { i: 100, text: "changed" });
    await memory.delete(["u", "even"], "k2");
    const k1 = await memory.get(["u", "odd"], "k1");
    expect(k1).toMatchObject({ value: { i: 100, text: "changed" }, createdAt: 1_002_000, updatedAt: clock.now });
    expect(await memory.get(["u", "even"], "k2")).toBeNull();
    expect(await count(name, "d")).toBe(2);
    const warm = await answers(memory);
    expect(warm.all.map((i) => i.key)).toEqual(["k0", "k4", "k6", "k1", "k3", "k5"]);
    expect(await answers(connect(name).memory)).toEqual(warm);
    // The updated item is in its own row again until the next packing.
    expect((await rawRowsOf(name, "i")).map((r) => r.key[3])).toEqual(["k1"]);
  });

  it("sees another tab's writes to packed items, and another tab sees packed items it never loaded", async () => {
    const { name, memory } = await seeded();
    expect(await memory.search(["u"], { limit: 100 })).toHaveLength(7); // this tab's copy is loaded
    const other = connect(name).memory;
    expect(await other.pack()).toBe(7);
    await other.put(["u", "even"], "k0", { i: -1, text: "from the other tab" });
    await other.delete(["u", "odd"], "k3");
    const mine = await memory.search(["u"], { limit: 100 });
    expect(mine.map((i) => i.key)).toEqual(["k0", "k2", "k4", "k6", "k1", "k5"]);
    expect(mine[0].value).toEqual({ i: -1, text: "from the other tab" });
    expect(await memory.get(["u", "odd"], "k3")).toBeNull();
  });

  it("answers a get of a packed item from its copy only while that copy is current: another tab's update, packed again, is seen", async () => {
    const { name, memory } = await seeded();
    await memory.pack();
    expect(await memory.search(["u"], { limit: 100 })).toHaveLength(7); // this tab's copy is loaded
    expect((await memory.get(["u", "odd"], "k1"))?.value).toEqual({ i: 1, text: "note 1" });
    const other = connect(name).memory;
    await other.put(["u", "odd"], "k1", { i: 1, text: "changed in the other tab" });
    expect(await other.pack()).toBeGreaterThan(0);
    expect((await rawRowsOf(name, "p")).map((r) => r.key[3])).toContain("k1");
    expect((await memory.get(["u", "odd"], "k1"))?.value).toEqual({ i: 1, text: "changed in the other tab" });
    // A value handed out is a copy: changing it changes nothing stored.
    const got = await memory.get(["u", "odd"], "k1");
    got!.value.text = "scribbled";
    expect((await memory.get(["u", "odd"], "k1"))?.value.text).toBe("changed in the other tab");
  });

  it("expires packed items: never returned once their ttl runs out, and swept, leaving a dead slot", async () => {
    const { name, memory } = await seeded();
    await memory.pack();
    clock.now += 10 * MINUTE;
    expect(await memory.get(["u", "even"], "k4")).toBeNull();
    expect((await memory.search(["u"], { limit: 100 })).map((i) => i.key)).not.toContain("k4");
    expect((await connect(name).memory.search(["u"], { limit: 100 })).map((i) => i.key)).not.toContain("k4");
    expect(await memory.sweep()).toBe(1);
    expect((await rawRowsOf(name, "p")).map((r) => r.key[3])).not.toContain("k4");
    expect(await count(name, "x")).toBe(0);
    expect(await count(name, "d")).toBe(1);
  });

  it("extends a packed item's ttl on a read that asks, and a cold load and the sweep go by the new time", async () => {
    const { name, memory } = await seeded();
    await memory.pack();
    clock.now += 5 * MINUTE;
    expect(await memory.get(["u", "even"], "k4", { refreshTtl: true })).not.toBeNull();
    expect(await count(name, "e")).toBe(1);
    clock.now += 6 * MINUTE; // past the first expiry, before the extended one
    expect(await memory.sweep()).toBe(0);
    expect(await connect(name).memory.get(["u", "even"], "k4")).not.toBeNull();
    expect((await connect(name).memory.search(["u"], { filter: { i: 4 } })).map((i) => i.key)).toEqual(["k4"]);
    // A packing that moves the item keeps the extended time.
    await memory.delete(["u", "even"], "k0");
    await memory.delete(["u", "even"], "k2");
    expect(await memory.pack()).toBeGreaterThan(0);
    expect(await count(name, "e")).toBe(0);
    expect(await connect(name).memory.get(["u", "even"], "k4")).not.toBeNull();
    clock.now += 5 * MINUTE;
    expect(await connect(name).memory.get(["u", "even"], "k4")).toBeNull();
  });

  it("dissolves a block once half its items are gone, freeing its rows, and frees every block when all are deleted", async () => {
    const { name, memory } = await seeded();
    await memory.pack();
    const blocksBefore = (await rawRowsOf(name, "b")).map((r) => r.key[2]);
    const first = (await rawRowsOf(name, "b"))[0].value as { keys: string[]; ns: string[][]; at: number[] };
    // Two of the first block's three items go: at least half of it is dead.
    for (const i of [0, 1]) await memory.delete(first.ns[first.at[i]], first.keys[i]);
    const before = await answers(memory);
    const bytesBefore = JSON.stringify(await rawRowsOf(name, "b")).length;
    expect(await memory.pack()).toBe(1);
    const blocksAfter = (await rawRowsOf(name, "b")).map((r) => r.key[2]);
    expect(blocksAfter).not.toContain(blocksBefore[0]);
    expect(blocksAfter).toHaveLength(3);
    expect(await count(name, "d")).toBe(0);
    expect(JSON.stringify(await rawRowsOf(name, "b")).length).toBeLessThan(bytesBefore);
    expect(await answers(connect(name).memory)).toEqual(before);
    for (const r of await rawRowsOf(name, "p")) await memory.delete(r.key[2] as string[], r.key[3] as string);
    await memory.pack();
    for (const kind of ["b", "v", "d", "e", "p", "i", "n", "x"]) expect(await count(name, kind), kind).toBe(0);
    expect(await connect(name).memory.search([])).toEqual([]);
  });

  it("drops a round when an item is written between its read and its write, and packs it later", async () => {
    const { name, memory, db } = await seeded();
    const other = connect(name).memory;
    // The other tab writes once this round has read what to pack, before its write.
    const realRead = db.read.bind(db);
    let overtaken = false;
    db.read = (async (stores: never, fn: never, context?: string) => {
      const out = await realRead(stores, fn, context);
      if (context === "planning a memory packing" && !overtaken) {
        overtaken = true;
        await other.put(["u", "odd"], "k1", { i: 1, text: "written meanwhile" });
      }
      return out;
    }) as typeof db.read;
    expect(await memory.pack()).toBe(0);
    expect(overtaken).toBe(true);
    expect(await count(name, "b")).toBe(0);
    expect(await count(name, "i")).toBe(7);
    expect((await connect(name).memory.get(["u", "odd"], "k1"))?.value).toEqual({ i: 1, text: "written meanwhile" });
    expect(await memory.pack()).toBe(7);
    expect((await connect(name).memory.get(["u", "odd"], "k1"))?.value).toEqual({ i: 1, text: "written meanwhile" });
  });

  it("leaves the state before the round, whole, when its transaction fails half way or the store closes", async () => {
    const { name, memory, db } = await seeded();
    const before = await answers(connect(name).memory);
    const realWrite = db.write.bind(db);
    db.write = ((stores: never, fn: (tx: never) => Promise<unknown>, context?: string, durability?: never) =>
      realWrite(
        stores,
        (async (tx: never) => {
          const out = await fn(tx);
          if (context === "packing memory") throw new Error("the tab died here");
          return out;
        }) as never,
        context,
        durability,
      )) as typeof db.write;
    await expect(memory.pack()).rejects.toThrow();
    for (const kind of ["b", "v", "p", "k"]) expect(await count(name, kind), kind).toBe(0);
    expect(await count(name, "i")).toBe(7);
    expect(await answers(connect(name).memory)).toEqual(before);
    db.write = realWrite;
    // Closing while a round runs: it ends before its write, and what it found stays where it was.
    const round = memory.pack();
    await memory.dispose();
    expect(await round).toBe(0);
    expect(await count(name, "i")).toBe(7);
    const reopened = connect(name).memory;
    expect(await reopened.pack()).toBe(7);
    expect(await answers(reopened)).toEqual(before);
  });

  it("packs on its own after writes stop, and a cold load that finds many item rows starts it too", async () => {
    const name = uniqueName("memory-packing-idle");
    const { memory } = connect(name, { idleMs: 20, minItems: 4 });
    await memory.batch(Array.from({ length: 5 }, (_, i) => ({ op: "put" as const, namespace: ["a"], key: `k${i}`, value: { i } })));
    for (let i = 0; i < 100 && (await count(name, "i")) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await count(name, "i")).toBe(0);
    // Rows written by a worker that ended before packing them: a later worker's first search packs them.
    const quiet = connect(name, { idleMs: 0 }).memory;
    await quiet.batch(Array.from({ length: 5 }, (_, i) => ({ op: "put" as const, namespace: ["b"], key: `k${i}`, value: { i } })));
    await quiet.dispose();
    const later = connect(name, { idleMs: 20, minItems: 4 }).memory;
    expect(await later.search([], { limit: 100 })).toHaveLength(10);
    for (let i = 0; i < 100 && (await count(name, "i")) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await count(name, "i")).toBe(0);
  });

  it("cuts blocks by the bytes of their values too, so a block of large values holds fewer items", async () => {
    const name = uniqueName("memory-packing-bytes");
    const { memory } = connect(name, { blockItems: 100, blockBytes: 50_000 });
    const big = (i: number) => ({ i, text: `${i} `.repeat(10_000).slice(0, 20_000) });
    await memory.batch(Array.from({ length: 5 }, (_, i) => ({ op: "put" as const, namespace: ["docs"], key: `d${i}`, value: big(i) })));
    await memory.batch(Array.from({ length: 10 }, (_, i) => ({ op: "put" as const, namespace: ["notes"], key: `n${i}`, value: { i } })));
    expect(await memory.pack()).toBe(15);
    // 20 KB values: two to a block of 50 KB; the fifth shares one with the ten small ones.
    expect((await rawRowsOf(name, "b")).map((r) => (r.value as { keys: string[] }).keys.length)).toEqual([2, 2, 11]);
    expect((await connect(name).memory.get(["docs"], "d4"))?.value).toEqual(big(4));
  });

  it("rejects with INTEGRITY when a block does not hold what its pointer names or is malformed", async () => {
    const { name, memory } = await seeded();
    await memory.pack();
    const [b0] = await rawRowsOf(name, "b");
    await putRaw(name, [[b0.key, { ...(b0.value as object), keys: ["x", "y", "z"] }]]);
    const first = b0.value as { keys: string[]; ns: string[][]; at: number[] };
    await expectCode(connect(name).memory.get(first.ns[first.at[0]], first.keys[0]), "INTEGRITY");
    await putRaw(name, [[b0.key, { ...(b0.value as object), vec: [0] }]]);
    await expectCode(connect(name).memory.search(["u"]), "INTEGRITY");
  });

  it("rejects a search by query with INTEGRITY when the browser cannot read a block's vectors back", async () => {
    const { name, memory } = await seeded();
    await memory.pack();
    const read = vi.spyOn(Blob.prototype, "arrayBuffer").mockRejectedValue(new DOMException("the file is gone", "NotReadableError"));
    try {
      await expectCode(connect(name).memory.search(["u"], { query: embedText("note 2", 8) }), "INTEGRITY");
    } finally {
      read.mockRestore();
    }
    // A search by filter reads no vectors; once the file reads again, so does one by query.
    expect(await connect(name).memory.search(["u"], { filter: { i: 2 } })).toHaveLength(1);
    expect((await connect(name).memory.search(["u"], { query: embedText("note 2", 8), limit: 1 }))[0].key).toBe("k2");
  });

  it("rejects with INTEGRITY when a block's values fail their checksum, once a search or get reads them", async () => {
    const { name, memory } = await seeded();
    await memory.pack();
    const [b0] = await rawRowsOf(name, "b");
    const row = b0.value as { values: [number, number, Uint8Array, number?] };
    await putRaw(name, [[b0.key, { ...row, values: [row.values[0], row.values[1] ^ 1, row.values[2], row.values[3]] }]]);
    const first = b0.value as { keys: string[]; ns: string[][]; at: number[] };
    await expectCode(connect(name).memory.search(["u"], { filter: { i: 0 } }), "INTEGRITY");
    await expectCode(connect(name).memory.get(first.ns[first.at[0]], first.keys[0]), "INTEGRITY");
  });
});
