import { afterEach, describe, expect, it, vi } from "vitest";
import * as lg from "@langchain/langgraph";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { IndexedDBSaver } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";
import { Normalizer } from "./snapshot";

/**
 * Apps test their graphs with fake timers. fake-indexeddb schedules its transactions with
 * setImmediate, which must stay real (README, Gotchas); the saver's own calls wait on no timer,
 * so a graph on it runs under a frozen setTimeout clock as on MemorySaver.
 */

const engines: Engine[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function play(saver: BaseCheckpointSaver): Promise<unknown[]> {
  const State = lg.Annotation.Root({ log: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
  const graph = new lg.StateGraph(State)
    .addNode("draft", () => ({ log: ["draft"] }))
    .addNode("review", () => ({ log: [`review: ${String(lg.interrupt("ok?"))}`] }))
    .addEdge(lg.START, "draft")
    .addEdge("draft", "review")
    .compile({ checkpointer: saver });
  const config = { configurable: { thread_id: "t" } };
  const seen: unknown[] = [await graph.invoke({ log: ["in"] }, config)];
  seen.push((await graph.getState(config)).next);
  seen.push(await graph.invoke(new lg.Command({ resume: "yes" }), config));
  seen.push((await graph.getState(config)).values);
  // Interrupt ids are random per run.
  return new Normalizer().apply(seen) as unknown[];
}

describe("IndexedDBSaver under fake timers (setTimeout and Date faked, setImmediate real)", () => {
  for (const pipeline of [false, true]) {
    it(`a graph interrupts, resumes and reads back as on MemorySaver without the clock moving${pipeline ? " (pipelined writes)" : ""}`, async () => {
      const expected = await play(new MemorySaver());
      const engine = await openTestEngine(uniqueName("lg-fake-timers"));
      engines.push(engine);
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
      expect(await play(new IndexedDBSaver(engine, { pipeline }))).toEqual(expected);
    });
  }
});
