// fake-indexeddb's globals (IDBRequest, IDBKeyRange) for idb and the engine's key ranges.
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { embedText } from "../memory/embeddings";
import { packingHarness, view } from "../memory/packing-harness";

/**
 * What a worker with no copy of the items reads (worker/memory/reads.ts loadCache): a search by
 * filter, a listing or a get leaves out the blocks' vectors, most of the stored bytes; a search
 * with a query loads them, and is ranked as on a worker that had them all along.
 */
describe("memory store cold load (packed items, blocks of 3)", () => {
  const { connect, seeded } = packingHarness();

  /** How many getAll requests made while `fn` runs read the blocks' vector rows. */
  async function vectorReads(fn: () => Promise<unknown>): Promise<number> {
    // A range is read with getAllRecords where the engine has it (fake-indexeddb does), else getAll.
    const proto = IDBObjectStore.prototype as unknown as Record<"getAll" | "getAllRecords", (...args: unknown[]) => IDBRequest>;
    const original = { getAll: proto.getAll, getAllRecords: proto.getAllRecords };
    let reads = 0;
    const count = (query: unknown) => {
      const lower = query instanceof IDBKeyRange ? (query.lower as unknown[]) : undefined;
      if (Array.isArray(lower) && lower[0] === "m" && lower[1] === "v") reads++;
    };
    proto.getAll = function (this: IDBObjectStore, ...args: unknown[]) {
      count(args[0]);
      return original.getAll.apply(this, args);
    };
    proto.getAllRecords = function (this: IDBObjectStore, ...args: unknown[]) {
      count((args[0] as { query?: unknown } | undefined)?.query);
      return original.getAllRecords.apply(this, args);
    };
    try {
      await fn();
    } finally {
      Object.assign(proto, original);
    }
    return reads;
  }

  const ranked = (memory: ReturnType<typeof connect>["memory"]) => memory.search(["u"], { query: embedText("note 4", 8), limit: 5 });

  it("answers a search by filter on a cold worker without reading the blocks' vectors", async () => {
    const { name, memory } = await seeded();
    await memory.pack();
    const warm = view(await memory.search(["u"], { filter: { i: { $gte: 2 } } }));
    const cold = connect(name).memory;
    let answer: unknown;
    expect(await vectorReads(async () => (answer = view(await cold.search(["u"], { filter: { i: { $gte: 2 } } }))))).toBe(0);
    expect(answer).toEqual(warm);
  });

  it("loads the vectors for the first search with a query after that, ranked as by a worker that had them", async () => {
    const { name, memory } = await seeded();
    await memory.pack();
    const warm = view(await ranked(memory));
    expect(warm.some((i) => i.score !== undefined)).toBe(true);
    const cold = connect(name).memory;
    await cold.listNamespaces();
    let answer: unknown;
    expect(await vectorReads(async () => (answer = view(await ranked(cold))))).toBe(1);
    expect(answer).toEqual(warm);
    // Once a query came, later loads keep the vectors: another tab's write, then a filter.
    await memory.put(["u", "odd"], "k9", { i: 9, text: "note 9" }, { vectors: [{ field: "text", vector: embedText("note 9", 8) }] });
    expect(await vectorReads(() => cold.search(["u"], { filter: { i: 9 } }))).toBe(1);
    expect(await vectorReads(async () => (answer = view(await ranked(cold))))).toBe(0);
    expect(answer).toEqual(view(await ranked(memory)));
  });
});
