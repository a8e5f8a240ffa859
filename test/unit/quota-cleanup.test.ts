import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IDBDatabase, IDBFactory, IDBObjectStore } from "fake-indexeddb";
import { openEngine, type Engine } from "../../worker/index";
import { isStoreError, type StoreError } from "../../src/errors";
import { uniqueName } from "../conformance/backend";

/**
 * Firefox's behaviour after a quota error, played on fake-indexeddb: while the "disk" is full a
 * put, and a delete too (its journal grows), fails with QuotaExceededError, and the connection's
 * next readwrite transaction is a cleanup one in which put() and add() throw InvalidStateError
 * and deletes pass, past the quota (Gecko's IDBDatabase
 * turns the first readwrite after a quota error into Mode::Cleanup). The e2e quota test
 * (test/e2e/reliability-storage.test.ts) meets the real thing in Firefox.
 */

const disk = { full: false };
const hit = new WeakSet<object>();
const cleanup = new WeakSet<object>();
const refusals: string[] = [];

beforeEach(() => {
  disk.full = false;
  refusals.length = 0;
  const transaction = IDBDatabase.prototype.transaction;
  vi.spyOn(IDBDatabase.prototype, "transaction").mockImplementation(function (this: object, ...args: Parameters<typeof transaction>) {
    const tx = transaction.apply(this as never, args);
    if (args[1] === "readwrite" && hit.has(this)) {
      hit.delete(this);
      cleanup.add(tx);
    }
    return tx;
  });
  for (const method of ["put", "add"] as const) {
    const original = IDBObjectStore.prototype[method];
    vi.spyOn(IDBObjectStore.prototype, method).mockImplementation(function (this: IDBObjectStore, ...args: Parameters<typeof original>) {
      if (cleanup.has(this.transaction)) {
        refusals.push(method);
        throw new DOMException("A mutation operation was attempted on a database that did not allow mutations.", "InvalidStateError");
      }
      if (disk.full) {
        hit.add(this.transaction.db);
        throw new DOMException("The current transaction exceeded its quota limitations.", "QuotaExceededError");
      }
      return original.apply(this, args);
    });
  }
  const remove = IDBObjectStore.prototype.delete;
  vi.spyOn(IDBObjectStore.prototype, "delete").mockImplementation(function (this: IDBObjectStore, ...args: Parameters<typeof remove>) {
    if (disk.full && !cleanup.has(this.transaction)) {
      hit.add(this.transaction.db);
      throw new DOMException("The current transaction exceeded its quota limitations.", "QuotaExceededError");
    }
    return remove.apply(this, args);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Rows in the `blobs` store of the database, read on a connection of its own. */
async function blobRows(factory: IDBFactory, name: string): Promise<number> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = factory.open(name);
    r.onsuccess = () => resolve(r.result as unknown as IDBDatabase);
    r.onerror = () => reject(r.error);
  });
  const count = await new Promise<number>((resolve, reject) => {
    const r = (db as unknown as globalThis.IDBDatabase).transaction("blobs").objectStore("blobs").count();
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  db.close();
  return count;
}

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as StoreError);
const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);

async function fullStore(): Promise<{ engine: Engine; ids: string[] }> {
  const engine = await openEngine({ name: uniqueName("quota-cleanup"), indexedDB: new IDBFactory() });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push(await engine.threads.save("t", { i }, bytes(2048, i)));
  disk.full = true;
  const err = await errorOf(engine.threads.save("t", { i: 3 }, bytes(2048, 3)));
  expect(isStoreError(err, "QUOTA_EXCEEDED")).toBe(true);
  return { engine, ids };
}

describe("after a quota error, with Firefox's cleanup transaction", () => {
  it("deletes a checkpoint in the write that may only delete, and the thread reads right after", async () => {
    const { engine, ids } = await fullStore();
    await engine.threads.delete("t", ids[2]);
    expect(refusals).toEqual([]);
    expect(await engine.threads.count("t")).toBe(2);
    expect((await engine.threads.list("t")).map((m) => m.checkpointId)).toEqual(ids.slice(0, 2));
    expect((await engine.threads.loadLatest("t")).meta.checkpointId).toBe(ids[1]);
    await engine.close();
  });

  it("reports a put refused in that transaction as QUOTA_EXCEEDED, not retryable, and the next write goes through once there is space", async () => {
    const { engine, ids } = await fullStore();
    disk.full = false;
    const refused = await errorOf(engine.threads.save("t", { i: 4 }, bytes(16, 4)));
    expect(refusals.length).toBeGreaterThan(0);
    expect(refused).toMatchObject({ name: "StoreError", code: "QUOTA_EXCEEDED", retryable: false });
    const id = await engine.threads.save("t", { i: 5 }, bytes(16, 5));
    expect((await engine.threads.list("t")).map((m) => m.checkpointId)).toEqual([...ids, id]);
    await engine.close();
  });

  it("deletes a whole thread when its first attempt meets the quota: the retry is the write that may only delete", async () => {
    const { engine } = await fullStore();
    // A save spends the cleanup transaction, so the delete starts in an ordinary one.
    expect(isStoreError(await errorOf(engine.threads.save("t", {}, bytes(16, 9))), "QUOTA_EXCEEDED")).toBe(true);
    await engine.threads.deleteThread("t");
    expect(await engine.threads.count("t")).toBe(0);
    expect(await engine.threads.listThreads()).toEqual([]);
    await engine.close();
  });

  it("deletes a run and a checkpoint blob when the first attempt meets the quota", async () => {
    const engine = await openEngine({ name: uniqueName("quota-cleanup"), indexedDB: new IDBFactory() });
    await engine.runs.createRun("r", "w", {});
    await engine.runs.appendEvent({ runId: "r", kind: "tick", data: {} });
    await engine.blobs.save("cp", "trace", 1n, bytes(2048, 1));
    disk.full = true;
    for (const [what, del] of [
      ["run", () => engine.runs.deleteRun("r")],
      ["blob", () => engine.blobs.delete("cp")],
    ] as const) {
      // A refused save spends any cleanup transaction, so each delete starts in an ordinary one.
      expect(isStoreError(await errorOf(engine.threads.save("t", {}, bytes(16, 9))), "QUOTA_EXCEEDED")).toBe(true);
      expect(isStoreError(await errorOf(engine.threads.save("t", {}, bytes(16, 9))), "QUOTA_EXCEEDED")).toBe(true);
      expect(await del(), what).toBe(true);
    }
    expect(await engine.runs.getRun("r")).toBeUndefined();
    expect(await engine.blobs.load("cp")).toBeUndefined();
    await engine.close();
  });

  it("deletes a LangGraph thread, prunes one and deletes a run's checkpoints when the first attempt meets the quota", async () => {
    const factory = new IDBFactory();
    const engine = await openEngine({ name: uniqueName("quota-cleanup"), indexedDB: factory });
    const sv = (text: string): [string, Uint8Array] => ["json", new TextEncoder().encode(text)];
    const put = (threadId: string, checkpointId: string, runId?: string) =>
      engine.saver.put({ threadId, ns: "", checkpointId, v: 4, checkpoint: sv(`{"n":"${checkpointId}"}`), metadata: sv("{}"), metadataIndex: {}, channelVersions: { x: checkpointId }, blobs: [{ channel: "x", version: checkpointId, value: sv("v".repeat(3000) + checkpointId) }], ...(runId ? { runId } : {}) });
    for (const t of ["a", "b", "c"]) for (const id of ["1", "2"]) await put(t, id, `run-${t}`);
    disk.full = true;
    const operations = [
      ["deleteThread", () => engine.saver.deleteThread("a")],
      ["prune", () => engine.saver.prune(["b"], { strategy: "keep_latest" })],
      ["deleteForRuns", () => engine.saver.deleteForRuns(["run-c"])],
    ] as const;
    for (const [what, op] of operations) {
      // A refused save spends any cleanup transaction, so each operation starts in an ordinary one.
      expect(isStoreError(await errorOf(engine.threads.save("t", {}, bytes(16, 9))), "QUOTA_EXCEEDED")).toBe(true);
      expect(isStoreError(await errorOf(engine.threads.save("t", {}, bytes(16, 9))), "QUOTA_EXCEEDED")).toBe(true);
      await expect(op(), what).resolves.toBeUndefined();
    }
    // While the disk stays full, lowering the counts fails, and they stay owed.
    await new Promise((r) => setTimeout(r, 50));
    disk.full = false;
    const ids = async (t: string) => (await engine.saver.list({ threadId: t })).map((c) => c.checkpointId);
    expect([await ids("a"), await ids("b"), await ids("c")]).toEqual([[], ["2"], []]);
    // The values share chunks across threads: what is left reads whole.
    const left = await engine.saver.getTuple({ threadId: "b", ns: "" });
    expect(new TextDecoder().decode(left!.channelValues.x[1])).toBe("v".repeat(3000) + "2");
    // The reference counts those deletes could not lower are lowered after the next write that
    // goes through, so deleting the rest leaves no chunk behind. (The write after the failed
    // lowering may only delete, as after any quota error.)
    await errorOf(put("d", "0"));
    await put("d", "1");
    await engine.saver.deleteThread("d");
    await engine.saver.deleteThread("b");
    await vi.waitFor(async () => expect(await blobRows(factory, engine.name)).toBe(0));
    await engine.close();
  });
});
