// fake-indexeddb's globals (IDBKeyRange, IDBRequest) for the engine in Node.
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { afterAll, expect } from "vitest";
import { Database } from "../../worker/db";
import { Payloads } from "../../worker/payload/index";
import { DEFAULT_LIMITS } from "../../worker/limits";
import { createMemoryStore, type EngineMemoryStore } from "../../worker/memory/index";
import { countRowsWith, uniqueName, type Backend } from "../conformance/backend";
import { memoryDifferentialSpec } from "../memory/differential.spec";
import type { MemoryOp, Stores } from "../../src/types";

/**
 * The differential test against InMemoryStore with packing at its most eager: blocks of three
 * items, packed after every second batch that writes, so gets, searches, listings, updates and
 * deletes meet packed items, dead slots and blocks dissolved again. Writes go through one
 * connection, reads alternate between it (its cache follows its writes) and a second one (a
 * second tab: its cache is loaded again, from blocks and item rows, after every write).
 */
const factory = new IDBFactory();
const packing = { minItems: 1, blockItems: 3, idleMs: 0 };
/** Items the packings moved: the sequences must reach packed items, not only item rows. */
let moved = 0;
const runs = Number(process.env.MEMORY_DIFF_RUNS ?? 150);
afterAll(() => {
  console.log(`items moved into blocks: ${moved}`);
  expect(moved).toBeGreaterThan(runs * 5);
});

function open(name: string): { db: Database; memory: EngineMemoryStore } {
  const db = new Database({ name, indexedDB: factory });
  return { db, memory: createMemoryStore({ db, payloads: new Payloads(), now: () => Date.now(), limits: DEFAULT_LIMITS }, { sweepMs: 600_000, packing }) };
}

async function openPacked(name: string): Promise<Stores> {
  const writer = open(name);
  const reader = open(name);
  let batches = 0;
  const memory = {
    ...writer.memory,
    async batch(ops: MemoryOp[]) {
      const writes = Array.isArray(ops) && ops.some((op) => op?.op === "put");
      if (!writes) return (batches++ % 2 === 0 ? reader : writer).memory.batch(ops);
      const results = await writer.memory.batch(ops);
      if (batches++ % 2 === 0) moved += await writer.memory.pack();
      return results;
    },
  };
  return {
    memory,
    async close() {
      for (const s of [writer, reader]) {
        await s.memory.dispose();
        s.db.close();
      }
    },
  } as unknown as Stores;
}

memoryDifferentialSpec(
  {
    name: "packed into blocks of 3, fake-indexeddb",
    open: openPacked,
    freshName: uniqueName,
    countRows: (dbName) => countRowsWith(factory, dbName),
  } satisfies Backend,
  runs,
);
