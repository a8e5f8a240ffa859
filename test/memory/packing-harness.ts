import { IDBFactory } from "fake-indexeddb";
import { afterEach } from "vitest";
import { Database } from "../../worker/db";
import { Payloads } from "../../worker/payload/index";
import { DEFAULT_LIMITS } from "../../worker/limits";
import { createMemoryStore, type EngineMemoryStore } from "../../worker/memory/index";
import type { PackingOptions } from "../../worker/memory/packer";
import { uniqueName } from "../conformance/backend";
import { embedText } from "./embeddings";
import { rawRows } from "./raw-rows";
import type { MemoryItem } from "../../src/types";

/**
 * Memory stores over fake-indexeddb for the packing tests: connections with their own worker
 * state (another tab, or a cold start), blocks of 3 items packed only when a test asks, and a
 * clock the test controls. Call inside a describe: connections close after each test.
 */
export function packingHarness() {
  const factory = new IDBFactory();
  const open: Array<{ db: Database; memory: EngineMemoryStore }> = [];
  afterEach(async () => {
    for (const { db, memory } of open.splice(0)) {
      await memory.dispose();
      db.close();
    }
  });
  const clock = { now: 1_000_000 };
  const rawRowsOf = (name: string, kind: string) => rawRows(factory, name, kind);

  function connect(name: string, packing: PackingOptions = {}) {
    const db = new Database({ name, indexedDB: factory });
    const memory = createMemoryStore({ db, payloads: new Payloads(), now: () => clock.now, limits: DEFAULT_LIMITS }, { sweepMs: 600_000, packing: { minItems: 1, blockItems: 3, idleMs: 0, ...packing } });
    open.push({ db, memory });
    return { db, memory };
  }

  /** Seven items in two namespaces, some with vectors, one with a ttl. */
  async function seeded() {
    const name = uniqueName("memory-packing");
    clock.now = 1_000_000;
    const { memory, db } = connect(name);
    for (let i = 0; i < 7; i++) {
      clock.now += 1000;
      const ns = ["u", i % 2 ? "odd" : "even"];
      const vectors = i % 3 ? [{ field: "text", vector: embedText(`note ${i}`, 8) }] : undefined;
      await memory.put(ns, `k${i}`, { i, text: `note ${i}` }, { vectors, ttl: i === 4 ? 10 : undefined });
    }
    return { name, memory, db };
  }

  return {
    factory,
    clock,
    connect,
    seeded,
    rawRowsOf,
    /** Writes rows of the meta store as they are, in one transaction. */
    putRaw: async (name: string, rows: Array<[key: IDBValidKey, value: unknown]>) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = factory.open(name);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const tx = db.transaction("meta", "readwrite");
      for (const [key, value] of rows) tx.objectStore("meta").put(value, key);
      await new Promise((resolve, reject) => ((tx.oncomplete = resolve), (tx.onabort = () => reject(tx.error))));
      db.close();
    },
    count: async (name: string, kind: string) => (await rawRowsOf(name, kind)).length,
  };
}

export const view = (items: MemoryItem[]) => items.map((i) => ({ ns: i.namespace.join("/"), key: i.key, value: i.value, createdAt: i.createdAt, updatedAt: i.updatedAt, score: i.score }));
