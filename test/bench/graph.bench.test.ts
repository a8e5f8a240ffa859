import { afterAll, expect, it } from "vitest";
import * as lg from "@langchain/langgraph/web";
import { openStore, type Store } from "../../src/index";
import { IndexedDBSaver } from "../../src/langgraph/index";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { buildBenchGraph, playGraph } from "./graph-workload";
import { printTable, ratio, round, samplePair, summarize, uniqueDb, writeResults } from "./stats";

/**
 * A LangGraph graph of 20 steps with a subgraph and two interrupts (graph-workload.ts), played to
 * the end on a fresh thread: on IndexedDBSaver through the worker, and on MemorySaver, in turns
 * so a busy machine slows both alike. The figure is the ratio of total times (target <= 1.5).
 */
const RUNS = 20;
const stores: Store[] = [];

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

it("plays a 20-step graph with a subgraph and two interrupts on IndexedDBSaver within 1.5x MemorySaver's time", async () => {
  const store = await openStore({ name: uniqueDb("graph") });
  stores.push(store);
  const idb = buildBenchGraph(lg, new IndexedDBSaver(store));
  const memory = buildBenchGraph(lg, new MemorySaver());
  const results: unknown[] = [];
  const [idbMs, memoryMs] = await samplePair(
    RUNS,
    async (i) => results.push(await playGraph(lg, idb, `idb-${i}`)),
    async (i) => results.push(await playGraph(lg, memory, `memory-${i}`)),
  );
  // Both savers ran the whole graph every time: 19 plain steps, both answers.
  for (const r of results) expect(r).toEqual({ steps: 19, answers: ["yes", "sure"] });
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const idbS = summarize(idbMs);
  const memS = summarize(memoryMs);
  printTable("20-step graph with a subgraph and two interrupts, start to end (target: total ratio <= 1.5)", [
    { saver: "MemorySaver", runs: memS.n, "median ms": round(memS.median), "p95 ms": round(memS.p95), "total ms": round(total(memoryMs)), ratio: 1 },
    { saver: "IndexedDBSaver (worker)", runs: idbS.n, "median ms": round(idbS.median), "p95 ms": round(idbS.p95), "total ms": round(total(idbMs)), ratio: ratio(total(idbMs), total(memoryMs)) },
  ]);
  await writeResults("graph", { idbMs, memoryMs, totalRatio: total(idbMs) / total(memoryMs), medianRatio: idbS.median / memS.median });
});
