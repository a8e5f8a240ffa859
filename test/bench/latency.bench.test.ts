import { afterAll, expect, it } from "vitest";
import { get as kvGet, set as kvSet, createStore } from "idb-keyval";
import { openStore, type Store } from "../../src/index";
import { RawIdb } from "./baselines";
import { MiB, makeText, printTable, ratio, round, sample, samplePair, summarize, uniqueDb, writeResults } from "./stats";

/**
 * Save and load latency of the store (page -> worker -> IndexedDB and back) against a raw
 * IndexedDB put/get on the page and idb-keyval, for states of 1 KiB, 64 KiB and 1 MiB; and the
 * save of a 1 MiB state whose last 10% changed against a raw put of 1 MiB.
 */
const sizes = [1024, 64 * 1024, MiB];
const RUNS = 30;
let store: Store;
const results: Record<string, unknown> = {};

afterAll(async () => {
  await store?.close();
});

it("measures save/load latency and throughput against raw IndexedDB and idb-keyval", async () => {
  store = await openStore({ name: uniqueDb("latency") });
  const raw = await RawIdb.open(uniqueDb("latency-raw"));
  const kv = createStore(uniqueDb("latency-kv"), "kv");
  const text = makeText(1);
  const rows = [];
  for (const size of sizes) {
    const states = Array.from({ length: RUNS + 3 }, () => text.bytes(size));
    const thread = `t${size}`;
    const ids: string[] = [];
    const save = summarize(await sample(RUNS, async (i) => ids.push(await store.threads.save(thread, {}, states[i < 0 ? RUNS - 1 - i : i]))));
    const load = summarize(await sample(RUNS, (i) => store.threads.load(thread, ids[Math.abs(i) % ids.length])));
    const loaded = await store.threads.load(thread, ids[ids.length - 1]);
    expect(loaded.state).toEqual(states[RUNS - 1]);
    const rawPut = summarize(await sample(RUNS, (i) => raw.put(`${size}-${i}`, states[Math.abs(i)].slice())));
    const rawGet = summarize(await sample(RUNS, (i) => raw.get(`${size}-${Math.abs(i)}`)));
    const kvPut = summarize(await sample(RUNS, (i) => kvSet(`${size}-${i}`, states[Math.abs(i)].slice(), kv)));
    const kvGetS = summarize(await sample(RUNS, (i) => kvGet(`${size}-${Math.abs(i)}`, kv)));
    const mbps = (ms: number) => round(size / MiB / (ms / 1000), 1);
    results[`${size}`] = { save, load, rawPut, rawGet, kvPut, kvGet: kvGetS };
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
    });
  }
  printTable("save/load latency, ms (median unless p95)", rows);

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
    { saveMed: round(save10.median), saveP95: round(save10.p95), rawPutMed: round(rawPut.median), ratio: ratio(save10.median, rawPut.median), target: "<= 2" },
  ]);
  raw.close();
  await writeResults("latency", results);
});
