import { afterAll, expect, it } from "vitest";
import { get as kvGet, set as kvSet, createStore } from "idb-keyval";
import { openStore, type Store } from "../../src/index";
import { RawIdb } from "./baselines";
import { storedBytes } from "./stored-bytes";
import { MiB, makeText, printTable, ratio, round, sample, samplePair, summarize, uniqueDb, writeResults } from "./stats";

/**
 * Save and load latency of the store (page -> worker -> IndexedDB and back) against a raw
 * IndexedDB put/get on the page and idb-keyval, for states of 1 KiB, 64 KiB and 1 MiB; and the
 * save of a 1 MiB state whose last 10% changed against a raw put of 1 MiB. Loads are timed after
 * idle compaction, from the worker that wrote the states and from a second one with empty caches.
 */
const sizes = [1024, 64 * 1024, MiB];
const RUNS = 30;
let store: Store;
const results: Record<string, unknown> = {};

/** Bytes of the blobs store once two readings a second apart agree (idle compaction is done). */
async function settledBlobBytes(name: string): Promise<number> {
  let last = -1;
  for (let i = 0; i < 60; i++) {
    const now = (await storedBytes(name)).stores.blobs?.bytes ?? 0;
    if (now === last) return now;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return last;
}

afterAll(async () => {
  await store?.close();
});

it("measures save/load latency and throughput against raw IndexedDB and idb-keyval", async () => {
  const name = uniqueDb("latency");
  // Relaxed, like the raw puts it is compared with (Chromium's default for IndexedDB).
  store = await openStore({ name, durability: "relaxed" });
  const raw = await RawIdb.open(uniqueDb("latency-raw"));
  const kv = createStore(uniqueDb("latency-kv"), "kv");
  const text = makeText(1);
  const rows = [];
  for (const size of sizes) {
    const states = Array.from({ length: RUNS + 3 }, () => text.bytes(size));
    // Each raw put gets its own copy, made before the timed call.
    const copies = states.map((s) => s.slice());
    const thread = `t${size}`;
    const ids: string[] = [];
    // Store and raw calls alternate (samplePair), so drift on a busy machine hits both alike.
    const [saveTimes, putTimes] = await samplePair(
      RUNS,
      async (i) => ids.push(await store.threads.save(thread, {}, states[i])),
      (i) => raw.put(`${size}-${i}`, copies[i]),
    );
    // Loads come after the worker compressed in idle time what the saves wrote raw, so that
    // they read rows as they stay; the blobs store stops shrinking when it is done.
    const compacted = await settledBlobBytes(name);
    const [warmTimes, getTimes] = await samplePair(
      RUNS,
      (i) => store.threads.load(thread, ids[i]),
      (i) => raw.get(`${size}-${i}`),
    );
    // A second handle on the same database: a worker with empty caches reads every row.
    const cold = await openStore({ name, durability: "relaxed" });
    const [coldTimes, getTimes2] = await samplePair(
      RUNS,
      (i) => cold.threads.load(thread, ids[i]),
      (i) => raw.get(`${size}-${i}`),
    );
    await cold.close();
    const loaded = await store.threads.load(thread, ids[ids.length - 1]);
    expect(loaded.state).toEqual(states[ids.length - 1]);
    const kvPut = summarize(await sample(RUNS, (i) => kvSet(`${size}-${i}`, copies[Math.abs(i)], kv)));
    const kvGetS = summarize(await sample(RUNS, (i) => kvGet(`${size}-${Math.abs(i)}`, kv)));
    const [save, rawPut, load, rawGet, coldLoad, rawGet2] = [saveTimes, putTimes, warmTimes, getTimes, coldTimes, getTimes2].map(summarize);
    const mbps = (ms: number) => round(size / MiB / (ms / 1000), 1);
    results[`${size}`] = { save, load, coldLoad, rawPut, rawGet, rawGet2, kvPut, kvGet: kvGetS, blobBytesAfterCompaction: compacted };
    rows.push({
      size,
      saveMed: round(save.median),
      saveP95: round(save.p95),
      "save MiB/s": mbps(save.median),
      rawPut: round(rawPut.median),
      kvSet: round(kvPut.median),
      "save/raw": ratio(save.median, rawPut.median),
      "save/kv": ratio(save.median, kvPut.median),
      loadMed: round(load.median),
      loadP95: round(load.p95),
      "load MiB/s": mbps(load.median),
      rawGet: round(rawGet.median),
      kvGet: round(kvGetS.median),
      "load/raw": ratio(load.median, rawGet.median),
      "load/kv": ratio(load.median, kvGetS.median),
      "cold load": round(coldLoad.median),
      "cold/raw": ratio(coldLoad.median, rawGet2.median),
    });
  }
  printTable("save/load latency, ms (median unless p95)", rows);

  // The floor of the chunked layout: a raw transaction that writes a state as the store lays out
  // new data (8 KiB rows, each with a small count row beside it), against one raw put.
  const floor = [];
  for (const size of [64 * 1024, MiB]) {
    const states = Array.from({ length: RUNS + 3 }, () => text.bytes(size));
    const [chunked, whole] = await samplePair(
      RUNS,
      (i) => raw.putMany(Array.from({ length: size / 8192 }, (_, c) => [`f${size}-${i}-${c}`, { codec: 0, raw: 8192, crc: c, data: states[i].slice(c * 8192, (c + 1) * 8192) }] as [string, unknown]).flatMap((row) => [row, [`${row[0]}r`, { refs: 1, raw: 8192, crc: 0 }] as [string, unknown]])),
      (i) => raw.put(`w${size}-${i}`, states[i].slice()),
    );
    const [c, w] = [chunked, whole].map(summarize);
    results[`layoutFloor${size}`] = { chunked: c, whole: w };
    floor.push({ size, rows: (2 * size) / 8192, "rows ms": round(c.median), "one put ms": round(w.median), ratio: ratio(c.median, w.median) });
  }
  printTable("raw IndexedDB: a state as 8 KiB rows plus count rows, against one put", floor);

  // A 1 MiB state whose last 10% changes at every save, against a raw put of 1 MiB.
  const base = text.bytes(MiB);
  const edit = () => {
    const v = base.slice();
    v.set(text.bytes(MiB / 10), MiB - MiB / 10);
    return v;
  };
  const edits = Array.from({ length: RUNS + 3 }, edit);
  await store.threads.save("edit", {}, base);
  // Each raw put gets its own copy, made before the timed call.
  const copies = edits.map((e) => e.slice());
  const [saveTimes, putTimes] = await samplePair(
    RUNS,
    (i) => store.threads.save("edit", {}, edits[i]),
    (i) => raw.put(`edit-${i}`, copies[i]),
  );
  const save10 = summarize(saveTimes);
  const rawPut = summarize(putTimes);
  const latest = await store.threads.loadLatest("edit");
  expect(latest.state).toEqual(edits[edits.length - 1]);
  results.lastTenPercent = { save: save10, rawPut, ratio: ratio(save10.median, rawPut.median) };
  printTable("1 MiB state, last 10% changed", [
    { saveMed: round(save10.median), saveP95: round(save10.p95), rawPutMed: round(rawPut.median), ratio: ratio(save10.median, rawPut.median), target: "<= 0.75" },
  ]);
  raw.close();
  await writeResults("latency", results);
});
