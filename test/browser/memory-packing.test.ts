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
/** Rows of one kind, read on the page with raw IndexedDB: their number, or their values. */
async function readRows<T>(name: string, kind: string, read: (store: IDBObjectStore, range: IDBKeyRange) => IDBRequest<T>): Promise<T> {
  const db = await request(indexedDB.open(name));
  try {
    return await request(read(db.transaction("meta", "readonly").objectStore("meta"), IDBKeyRange.bound(["m", kind], ["m", kind, [[]]])));
  } finally {
    db.close();
  }
}
/** Whether this engine's IndexedDB keeps a Blob: tried on a database of its own. */
async function keepsBlobs(): Promise<boolean> {
  const name = uniqueName("blob-probe");
  const open = indexedDB.open(name);
  open.onupgradeneeded = () => open.result.createObjectStore("s");
  const db = await request(open);
  try {
    await request(db.transaction("s", "readwrite").objectStore("s").put(new Blob([new Uint8Array(8)]), 1));
    return true;
  } catch {
    return false;
  } finally {
    db.close();
    indexedDB.deleteDatabase(name);
  }
}
const countRows = (name: string, kind: string) => readRows(name, kind, (s, r) => s.count(r));

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
  // Each block's vectors are float32 end to end (16 dimensions, one field per item): one Blob
  // where this engine keeps Blobs (WebKit's in-memory sessions do not), else the array.
  const vectorRows = await readRows(name, "v", (s, r) => s.getAll(r));
  const kind = (await keepsBlobs()) ? Blob : Float32Array;
  expect(vectorRows.every((v) => v instanceof kind)).toBe(true);
  expect(vectorRows.reduce((n, v) => n + (v instanceof Blob ? v.size : (v as Float32Array).byteLength), 0)).toBe(300 * 16 * 4);
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
