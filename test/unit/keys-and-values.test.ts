// fake-indexeddb's globals (IDBObjectStore with getAllRecords, IDBKeyRange) for idb and the engine.
import "fake-indexeddb/auto";
import { describe, expect, it, vi } from "vitest";
import { Database, keysAndValues, prefixRange } from "../../worker/db";
import { openEngine } from "../../worker/index";
import { uniqueName } from "../conformance/backend";

/** Runs `fn` in an engine without IDBObjectStore.getAllRecords (Firefox and WebKit of today). */
async function withoutRecords<T>(fn: () => Promise<T>): Promise<T> {
  const proto = IDBObjectStore.prototype as { getAllRecords?: unknown };
  const had = Object.getOwnPropertyDescriptor(proto, "getAllRecords");
  delete proto.getAllRecords;
  try {
    return await fn();
  } finally {
    if (had) Object.defineProperty(proto, "getAllRecords", had);
  }
}

describe("reading a range's keys and values", () => {
  it("reads the same keys and values, in key order and up to a count, with getAllRecords and without, in one request where it can", async () => {
    const db = new Database({ name: uniqueName("keys-and-values") });
    await db.ready();
    await db.write(["meta"], (tx) => {
      const meta = tx.objectStore("meta");
      for (const i of [5, 3, 9, 1, 7, 0, 8, 2, 6, 4]) void meta.put({ i, text: `row ${i}` }, ["k", i]);
      void meta.put("elsewhere", ["l", 0]);
    });
    const read = (count?: number, prefix = ["k"]) => db.read(["meta"], (tx) => keysAndValues(tx.objectStore("meta"), prefixRange(prefix), count));
    const records = vi.spyOn(IDBObjectStore.prototype as unknown as { getAllRecords: () => unknown }, "getAllRecords");
    const getAll = vi.spyOn(IDBObjectStore.prototype, "getAll");
    const withRecords = [await read(), await read(4), await read(undefined, ["none"])];
    expect([records.mock.calls.length, getAll.mock.calls.length]).toEqual([3, 0]);
    records.mockClear();
    const without = await withoutRecords(async () => [await read(), await read(4), await read(undefined, ["none"])]);
    expect(getAll.mock.calls.length).toBe(3);
    vi.restoreAllMocks();
    expect(withRecords[0]).toEqual({ keys: Array.from({ length: 10 }, (_, i) => ["k", i]), values: Array.from({ length: 10 }, (_, i) => ({ i, text: `row ${i}` })) });
    expect(withRecords[1].keys).toEqual([["k", 0], ["k", 1], ["k", 2], ["k", 3]]);
    expect(withRecords[2]).toEqual({ keys: [], values: [] });
    expect(without).toEqual(withRecords);
    db.close();
  });

  it("lists threads and runs, reads turns and searches memory the same in an engine without getAllRecords", async () => {
    const name = uniqueName("keys-and-values-engine");
    const writer = await openEngine({ name });
    for (let i = 0; i < 3; i++) await writer.threads.save("t", { i }, new TextEncoder().encode(`state ${i} `.repeat(2000 * (i + 1))));
    for (let i = 0; i < 5; i++) await writer.events.append("t", 0, { i });
    await writer.events.finishTurn("t", 0);
    await writer.runs.createRun("run-1", "graph", {});
    for (let i = 0; i < 3; i++) await writer.runs.saveCheckpoint("run-1", "node", new Uint8Array([1, 2, i]), { step: String(i) });
    for (let i = 0; i < 6; i++) await writer.memory.put(["u", i % 2 ? "odd" : "even"], `k${i}`, { i, text: `note ${i}` });
    await writer.close();
    // A new engine each time: nothing cached, every read goes to the database.
    const survey = async () => {
      const engine = await openEngine({ name });
      try {
        return {
          threads: await engine.threads.list("t"),
          turn: await engine.events.getTurn("t", 0),
          runs: await engine.runs.listCheckpoints("run-1"),
          memory: await engine.memory.search(["u"], { limit: 10 }),
          namespaces: await engine.memory.listNamespaces(),
        };
      } finally {
        await engine.close();
      }
    };
    const withRecords = await survey();
    expect(withRecords.threads).toHaveLength(3);
    expect(withRecords.turn?.events).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
    expect(withRecords.runs).toHaveLength(3);
    expect(withRecords.memory).toHaveLength(6);
    expect(await withoutRecords(survey)).toEqual(withRecords);
  });
});
