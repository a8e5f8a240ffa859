import { afterAll, expect, it } from "vitest";
import * as lg from "@langchain/langgraph/web";
import { openStore, type Store } from "../../src/index";
import { IndexedDBSaver } from "../../src/langgraph/index";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { buildBenchGraph, playGraph } from "./graph-workload";
import { RawIdb } from "./baselines";
import { storedBytes } from "./stored-bytes";
import { printTable, ratio, round, samplePair, summarize, uniqueDb, writeResults } from "./stats";

/**
 * A LangGraph graph of 20 steps with a subgraph and two interrupts (graph-workload.ts), played to
 * the end on a fresh thread: on IndexedDBSaver through the worker, and on MemorySaver, in turns
 * so a busy machine slows both alike. The figure is the ratio of total times (target <= 1.5).
 * IndexedDBSaver runs in both of its modes, writes acknowledged once stored (the default) and
 * pipelined, where the timed play ends with `saver.flush()` so both time the same stored result,
 * on a store of each durability (strict, the default: every transaction flushed to disk).
 */
const RUNS = 20;
const stores: Store[] = [];

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

it("plays a 20-step graph with a subgraph and two interrupts on IndexedDBSaver and on MemorySaver, and prints the ratio of total times", async () => {
  const rows: Array<Record<string, unknown>> = [];
  const data: Record<string, unknown> = {};
  const modes = [
    { durability: "strict", pipeline: false },
    { durability: "strict", pipeline: true },
    { durability: "relaxed", pipeline: false },
    { durability: "relaxed", pipeline: true },
  ] as const;
  for (const { durability, pipeline } of modes) {
    const store = await openStore({ name: uniqueDb(`graph-${durability}-${pipeline ? "pipelined" : "stored"}`), durability });
    stores.push(store);
    const saver = new IndexedDBSaver(store, { pipeline });
    const idb = buildBenchGraph(lg, saver);
    const memory = buildBenchGraph(lg, new MemorySaver());
    const results: unknown[] = [];
    const [idbMs, memoryMs] = await samplePair(
      RUNS,
      async (i) => {
        results.push(await playGraph(lg, idb, `idb-${i}`));
        await saver.flush();
      },
      async (i) => results.push(await playGraph(lg, memory, `memory-${i}`)),
    );
    // Both savers ran the whole graph every time: 19 plain steps, both answers.
    for (const r of results) expect(r).toEqual({ steps: 19, answers: ["yes", "sure"] });
    const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const idbS = summarize(idbMs);
    const memS = summarize(memoryMs);
    const mode = `${durability}, ${pipeline ? "pipelined + flush()" : "ack when stored"}`;
    rows.push(
      { saver: "MemorySaver", mode: "", runs: memS.n, "median ms": round(memS.median), "p95 ms": round(memS.p95), "total ms": round(total(memoryMs)), "total ratio": 1 },
      { saver: "IndexedDBSaver (worker)", mode, runs: idbS.n, "median ms": round(idbS.median), "p95 ms": round(idbS.p95), "total ms": round(total(idbMs)), "total ratio": ratio(total(idbMs), total(memoryMs)) },
    );
    data[`${durability}-${pipeline ? "pipelined" : "stored"}`] = { idbMs, memoryMs, totalRatio: total(idbMs) / total(memoryMs), medianRatio: idbS.median / memS.median };
  }
  printTable("20-step graph with a subgraph and two interrupts, start to end (target: total ratio <= 1.5)", rows);
  data.floor = await layoutFloor(stores[0].name);
  await writeResults("graph", data);
});

/**
 * What the target is up against: the rows IndexedDBSaver stored for one play (their number and
 * mean size, from the strict store above), written raw by the page in one strict transaction
 * after each MemorySaver play, against the MemorySaver play alone; and the same bytes as one row.
 * Every play needs its rows written somewhere, and in Chromium each row is a request to the
 * browser's database process: the first ratio is the least this row layout can cost, whatever the
 * saver does around it; the second the least any store that writes a play's bytes durably can.
 */
async function layoutFloor(name: string) {
  const stored = await storedBytes(name);
  const plays = RUNS + 3;
  const rowCount = Object.values(stored.stores).reduce((a, s) => a + s.rows, 0);
  const rowsPerPlay = Math.round(rowCount / plays);
  const rowBytes = Math.max(1, Math.round(stored.total / rowCount));
  const raw = await RawIdb.open(uniqueDb("graph-floor"));
  const memory = buildBenchGraph(lg, new MemorySaver());
  const payload = (n: number) => new Uint8Array(n).fill(7);
  const [rowsMs, aloneMs] = await samplePair(
    RUNS,
    async (i) => {
      await playGraph(lg, memory, `floor-rows-${i}`);
      await raw.putMany(Array.from({ length: rowsPerPlay }, (_, r) => [`rows-${i}-${r}`, payload(rowBytes)] as [string, unknown]), "strict");
    },
    (i) => playGraph(lg, memory, `floor-alone-${i}`),
  );
  const [oneRowMs] = await samplePair(
    RUNS,
    async (i) => {
      await playGraph(lg, memory, `floor-one-${i}`);
      await raw.put(`one-${i}`, payload(rowsPerPlay * rowBytes), "strict");
    },
    (i) => playGraph(lg, memory, `floor-alone2-${i}`),
  );
  raw.close();
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const floor = {
    rowsPerPlay,
    rowBytes,
    rowsRatio: total(rowsMs) / total(aloneMs),
    oneRowRatio: total(oneRowMs) / total(aloneMs),
  };
  printTable("The floor: MemorySaver plays plus, per play, a raw strict write of what the saver stored for one play, ÷ MemorySaver alone", [
    { write: `${rowsPerPlay} rows of ${rowBytes} B, one transaction`, "median ms": round(summarize(rowsMs).median), "total ratio": ratio(total(rowsMs), total(aloneMs)) },
    { write: `one row of ${rowsPerPlay * rowBytes} B`, "median ms": round(summarize(oneRowMs).median), "total ratio": ratio(total(oneRowMs), total(aloneMs)) },
    { write: "nothing (MemorySaver alone)", "median ms": round(summarize(aloneMs).median), "total ratio": 1 },
  ]);
  return floor;
}
