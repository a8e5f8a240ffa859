import { describe, expect, it, vi } from "vitest";
// fake-indexeddb's globals: the database module opens through the global factory and key ranges.
import "fake-indexeddb/auto";
import { Database } from "../../worker/db";
import { Payloads, type PayloadRef } from "../../worker/payload/index";
import { isStoreError } from "../../src/errors";
import { text } from "../payload/text";

/** Idle-time compression (worker/payload/compactor.ts): large saves are written raw, then deflated. */

let n = 0;

async function setup(idleMs = 20) {
  const db = new Database({ name: `compaction-${++n}` });
  await db.ready();
  return { db, payloads: new Payloads({ db, compaction: { idleMs } }) };
}

async function save(db: Database, payloads: Payloads, bytes: Uint8Array): Promise<PayloadRef> {
  const encoded = await payloads.encode(bytes);
  return db.write(["blobs"], (tx) => payloads.put(tx, encoded));
}

const load = (db: Database, payloads: Payloads, ref: PayloadRef) => db.read(["blobs"], (tx) => payloads.get(tx, ref));

async function chunkRows(db: Database): Promise<Array<[string, { codec: number; raw: number; data: Uint8Array; keep?: number }]>> {
  return db.read(["blobs"], async (tx) => {
    const store = tx.objectStore("blobs");
    const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()]);
    return keys.map((k, i) => [k as string, values[i]] as [string, any]).filter(([k]) => k.startsWith("c:"));
  });
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

describe("idle-time compaction", () => {
  it("writes a large new state raw, deflates its chunks once the worker is idle, and reads the same bytes before and after", async () => {
    const { db, payloads } = await setup();
    const bytes = text(256 * 1024, 3);
    const ref = await save(db, payloads, bytes);
    const before = await chunkRows(db);
    expect(before.length).toBeGreaterThan(4);
    expect(before.every(([, v]) => v.codec === 0)).toBe(true);
    expect(same(await load(db, new Payloads(), ref), bytes)).toBe(true);
    await payloads.compactor!.idle();
    const after = await chunkRows(db);
    expect(after.map(([k]) => k).sort()).toEqual(before.map(([k]) => k).sort());
    expect(after.every(([, v]) => v.codec === 2)).toBe(true);
    const stored = after.reduce((a, [, v]) => a + v.data.length, 0);
    expect(stored).toBeLessThan(bytes.length * 0.8);
    // A worker with empty caches reads the compressed rows.
    expect(same(await load(db, new Payloads(), ref), bytes)).toBe(true);
  });

  it("compresses a save with little new data at once", async () => {
    const { db, payloads } = await setup();
    const v1 = text(256 * 1024, 4);
    await save(db, payloads, v1);
    await payloads.compactor!.idle();
    const v2 = new Uint8Array(v1.length + 3000);
    v2.set(v1);
    v2.set(text(3000, 5), v1.length);
    const ref = await save(db, payloads, v2);
    expect((await chunkRows(db)).every(([, v]) => v.codec !== 0)).toBe(true);
    expect(same(await load(db, new Payloads(), ref), v2)).toBe(true);
  });

  it("waits while calls keep coming, and compacts once they stop", async () => {
    const { db, payloads } = await setup(150);
    await save(db, payloads, text(128 * 1024, 6));
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      payloads.compactor!.touch();
    }
    expect((await chunkRows(db)).every(([, v]) => v.codec === 0)).toBe(true);
    await payloads.compactor!.idle();
    expect((await chunkRows(db)).every(([, v]) => v.codec === 2)).toBe(true);
  });

  it("leaves alone a row freed, or altered, before compaction reached it", async () => {
    const { db, payloads } = await setup(50);
    const freed = await save(db, payloads, text(128 * 1024, 7));
    const kept = await save(db, payloads, text(128 * 1024, 8));
    const keptKeys = new Set((await chunkRows(db)).map(([k]) => k));
    await db.write(["blobs"], (tx) => payloads.release(tx, freed));
    const left = await chunkRows(db);
    // One row of the payload still stored is damaged behind the library's back.
    const [victim, row] = left[Math.floor(left.length / 2)];
    row.data[10] ^= 0x55;
    await db.write(["blobs"], (tx) => tx.objectStore("blobs").put(row, victim));
    await payloads.compactor!.idle();
    const after = new Map(await chunkRows(db));
    expect([...after.keys()].sort()).toEqual(left.map(([k]) => k).sort());
    expect([...after.keys()].every((k) => keptKeys.has(k))).toBe(true);
    expect(after.get(victim)!.codec).toBe(0);
    expect([...after].filter(([k]) => k !== victim).every(([, v]) => v.codec === 2)).toBe(true);
    const read = load(db, new Payloads(), kept);
    await expect(read).rejects.toSatisfy((e: unknown) => isStoreError(e, "INTEGRITY"));
  });

  it("compresses at once what is queued when asked to settle (usage figures), without waiting for idle time", async () => {
    const { db, payloads } = await setup(60_000);
    const bytes = text(128 * 1024, 11);
    const ref = await save(db, payloads, bytes);
    expect((await chunkRows(db)).every(([, v]) => v.codec === 0)).toBe(true);
    await payloads.settle();
    expect((await chunkRows(db)).every(([, v]) => v.codec === 2)).toBe(true);
    expect(same(await load(db, new Payloads(), ref), bytes)).toBe(true);
  });

  it("settles only once a batch the idle timer had already started is written", async () => {
    const { db, payloads } = await setup(20);
    const bytes = text(40 * 1024, 12); // over what is compressed at once, within one batch
    await save(db, payloads, bytes);
    // Asked to settle just as the idle batch reads its rows: they are off the queue by then.
    // Answers with the rows compacted when settle answered.
    let settled: Promise<number> | undefined;
    const read = db.read.bind(db);
    db.read = ((stores, fn, context) => {
      // In a task of its own, as a usage() call would come.
      if (context === "compacting") settled ??= new Promise((r) => setTimeout(r, 0)).then(() => payloads.settle()).then(() => payloads.compactor!.done.rows);
      return read(stores, fn, context);
    }) as typeof db.read;
    await vi.waitFor(() => expect(settled).toBeDefined(), { timeout: 5_000 });
    expect(await settled).toBeGreaterThan(0);
    expect((await chunkRows(db)).every(([, v]) => v.codec === 2)).toBe(true);
  });

  it("queues raw rows it reads (left by a worker that ended first), and compacts nothing after close", async () => {
    const { db } = await setup();
    const writer = new Payloads({ db, compaction: { idleMs: 60_000 } });
    const bytes = text(128 * 1024, 9);
    const ref = await save(db, writer, bytes);
    writer.close();
    const reader = new Payloads({ db, compaction: { idleMs: 20 } });
    expect(same(await load(db, reader, ref), bytes)).toBe(true);
    await reader.compactor!.idle();
    expect((await chunkRows(db)).every(([, v]) => v.codec === 2)).toBe(true);
    expect(same(await load(db, new Payloads(), ref), bytes)).toBe(true);

    const closed = new Payloads({ db, compaction: { idleMs: 20 } });
    const ref2 = await save(db, closed, text(128 * 1024, 10));
    closed.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await chunkRows(db)).some(([, v]) => v.codec === 0)).toBe(true);
    expect((await load(db, new Payloads(), ref2)).length).toBe(128 * 1024);
  });
});
