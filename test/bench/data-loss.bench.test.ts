import { expect, it } from "vitest";
import { Database } from "../../worker/db";
import { dataLossOf } from "../../worker/data-loss";
import { openEngine } from "../../worker/index";
import { printTable, ratio, round, summarize, uniqueDb } from "./stats";

/**
 * What store.dataLoss adds to a later visit's open: one read of the kept record
 * (worker/data-loss.ts) once the connection is open. Timed against the floor for any read on a
 * just-opened connection, a raw get in a readonly transaction, in turns on the same database;
 * the connection's open is timed beside them for scale.
 */
const RUNS = 40;
const WARMUP = 3;

function rawOpen(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function rawGet(db: IDBDatabase): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = db.transaction("meta").objectStore("meta").get(["bench", "absent"]);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function timed<T>(times: number[], fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const out = await fn();
  times.push(performance.now() - t);
  return out;
}

it("reads the kept data-loss record in about one raw read", async () => {
  const name = uniqueDb("data-loss");
  const engine = await openEngine({ name });
  await engine.threads.save("t", {}, new Uint8Array(16));
  await engine.close();

  const reads: number[] = [];
  const gets: number[] = [];
  const opens: number[] = [];
  for (let i = 0; i < RUNS + WARMUP; i++) {
    const db = new Database({ name });
    await timed(opens, () => db.ready());
    const raw = await rawOpen(name);
    // In turns, so drift on a busy machine hits both alike.
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) {
      if (which === 0) expect(await timed(reads, () => dataLossOf(db))).toBeUndefined();
      else await timed(gets, () => rawGet(raw));
    }
    raw.close();
    db.close();
  }
  const [read, get, open] = [reads, gets, opens].map((s) => summarize(s.slice(WARMUP)).median);
  printTable(`store.dataLoss on a later visit's open, ms (median of ${RUNS})`, [
    { recordReadMs: round(read), rawGetMs: round(get), recordReadOverRawGet: ratio(read, get), connectionOpenMs: round(open) },
  ]);
});
