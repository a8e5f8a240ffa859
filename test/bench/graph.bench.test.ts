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
  await writeResults("graph", data);
});
