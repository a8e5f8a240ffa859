import { expect, it } from "vitest";
import { Database, keysAndValues, prefixRange } from "../../worker/db";
import { uniqueName } from "../conformance/backend";

/**
 * A range's keys and values on each engine's own IndexedDB: one getAllRecords request where the
 * engine has it, else getAllKeys and getAll, and the same answer either way.
 */
it("reads a range's keys and values the same with getAllRecords (where the engine has it) and without", async () => {
  const proto = IDBObjectStore.prototype as { getAllRecords?: unknown };
  const has = typeof proto.getAllRecords === "function";
  console.log(`[engine] IDBObjectStore.getAllRecords: ${has ? "yes" : "no"} (${navigator.userAgent})`);
  const db = new Database({ name: uniqueName("keys-and-values") });
  await db.ready();
  await db.write(["meta"], (tx) => {
    const meta = tx.objectStore("meta");
    for (const i of [4, 1, 3, 0, 2]) void meta.put({ i, bytes: new Uint8Array([i]) }, ["k", i]);
    void meta.put("elsewhere", ["l", 0]);
  });
  const read = () => db.read(["meta"], async (tx) => [await keysAndValues(tx.objectStore("meta"), prefixRange(["k"])), await keysAndValues(tx.objectStore("meta"), prefixRange(["k"]), 2)]);
  const first = await read();
  const had = Object.getOwnPropertyDescriptor(proto, "getAllRecords");
  delete proto.getAllRecords;
  let second;
  try {
    second = await read();
  } finally {
    if (had) Object.defineProperty(proto, "getAllRecords", had);
  }
  db.close();
  expect(first[0].keys).toEqual([0, 1, 2, 3, 4].map((i) => ["k", i]));
  expect(first[0].values.map((v: { i: number }) => v.i)).toEqual([0, 1, 2, 3, 4]);
  expect(first[1].keys).toEqual([["k", 0], ["k", 1]]);
  expect(second).toEqual(first);
});
