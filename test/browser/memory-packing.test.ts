import { afterEach, expect, it } from "vitest";
import { openStore, type Store } from "../../src/index";
import type { MemoryItem, MemoryOp } from "../../src/types";
import { uniqueName } from "../conformance/backend";

/**
 * Packing through the worker on each engine's own IndexedDB: 300 items (more than the 256 that
 * start a packing) are moved into blocks once writes stop, and a new worker (a cold start) finds
 * them, by key, filter and vector, with deletes, updates and another worker's writes.
 */
const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
async function open(name: string): Promise<Store> {
  const store = await openStore({ name });
  opened.push(store);
  return store;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
}
/** Rows of one kind, read on the page with raw IndexedDB. */
async function countRows(name: string, kind: string): Promise<number> {
  const db = await request(indexedDB.open(name));
  try {
    return await request(db.transaction("meta", "readonly").objectStore("meta").count(IDBKeyRange.bound(["m", kind], ["m", kind, [[]]])));
  } finally {
    db.close();
  }
}

const vector = (i: number) => Float32Array.from({ length: 16 }, (_, d) => Math.sin(i * 7 + d) + (d === i % 16 ? 2 : 0));
const view = (items: MemoryItem[]) => items.map((i) => [i.namespace.join("/"), i.key, i.value, i.score]);

it("packs items into blocks after writes, and a cold worker reads them, and writes to them, as before", async () => {
  const name = uniqueName("memory-packing");
  const store = await open(name);
  const ops: MemoryOp[] = Array.from({ length: 300 }, (_, i) => ({ op: "put", namespace: ["u", `g${i % 4}`], key: `k${i}`, value: { i, even: i % 2 === 0 }, vectors: [{ field: "text", vector: vector(i) }] }));
  await store.memory.batch(ops);
  const query = Array.from(vector(42));
  const ask = async (s: Store) => ({
    get: await s.memory.get(["u", "g2"], "k42"),
    filtered: view(await s.memory.search(["u"], { filter: { even: true, i: { $gte: 250 } }, limit: 100 })),
    ranked: view(await s.memory.search(["u"], { query, limit: 5 })),
    namespaces: await s.memory.listNamespaces(),
  });
  const before = await ask(store);
  expect(before.ranked[0][1]).toBe("k42");
  for (let i = 0; i < 300 && (await countRows(name, "i")) > 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await countRows(name, "i")).toBe(0);
  expect(await countRows(name, "p")).toBe(300);
  expect(await countRows(name, "b")).toBe(2);
  await store.close();
  const cold = await open(name);
  expect(await ask(cold)).toEqual(before);
  // Writes of a packed item from another worker, seen by this one.
  const other = await open(name);
  await other.memory.put(["u", "g2"], "k42", { i: 42, even: false });
  await other.memory.delete(["u", "g1"], "k1");
  expect((await cold.memory.get(["u", "g2"], "k42"))?.value).toEqual({ i: 42, even: false });
  expect(await cold.memory.get(["u", "g1"], "k1")).toBeNull();
  expect((await cold.memory.search(["u", "g1"], { limit: 1 }))[0].key).toBe("k5");
  expect(await countRows(name, "d")).toBe(2);
});
