import { it } from "vitest";
import * as lg from "@langchain/langgraph/web";
import { openStore } from "../../src/index";
import { IndexedDBSaver } from "../../src/langgraph/index";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { buildBenchGraph, playGraph } from "./graph-workload";
import { uniqueDb } from "./stats";

it("profiles", async () => {
  const store = await openStore({ name: uniqueDb("prof") });
  const log: string[] = [];
  let t0 = 0;
  const raw = store.saver as any;
  const wrapped: any = { name: store.name };
  for (const m of ["put", "putWrites", "getTuple", "list", "deleteThread", "getDeltaChannelHistory", "batch"]) {
    wrapped[m] = async (...a: any[]) => { const t = performance.now(); try { return await raw[m](...a); } finally { log.push(`  store.${m}${m === "batch" ? "(" + a[0].length + ")" : ""} ${(t - t0).toFixed(1)}-${(performance.now() - t0).toFixed(1)}`); } };
  }
  const saver = new IndexedDBSaver({ saver: wrapped, name: store.name }, { pipeline: true });
  for (const m of ["put", "putWrites", "getTuple"]) {
    const orig = (saver as any)[m].bind(saver);
    (saver as any)[m] = async (...a: any[]) => { const t = performance.now(); try { return await orig(...a); } finally { log.push(`${m} ${a[0]?.configurable?.checkpoint_ns?.slice(0, 3) ?? ""} ${(t - t0).toFixed(1)}-${(performance.now() - t0).toFixed(1)}`); } };
  }
  const idb = buildBenchGraph(lg, saver);
  const mem = buildBenchGraph(lg, new MemorySaver());
  for (let i = 0; i < 5; i++) { await playGraph(lg, idb, "w" + i); await saver.flush(); await playGraph(lg, mem, "wm" + i); }
  for (let r = 0; r < 2; r++) {
    t0 = performance.now(); await playGraph(lg, mem, "m" + r); const memMs = performance.now() - t0;
    log.length = 0;
    t0 = performance.now(); await playGraph(lg, idb, "i" + r); const playMs = performance.now() - t0; await saver.flush(); const idbMs = performance.now() - t0;
    console.log(`mem ${memMs.toFixed(0)} idb ${playMs.toFixed(0)} +flush ${idbMs.toFixed(0)}\n` + log.filter((l) => l.startsWith("  ") || l.startsWith("getTuple")).join("\n"));
  }
  await store.close();
});
