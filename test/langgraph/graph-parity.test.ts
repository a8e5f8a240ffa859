import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { IndexedDBSaver } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { graphScenarios, type LG } from "./graph-scenarios";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";

describe("real graphs read back the same from IndexedDBSaver (engine, fake-indexeddb) as from MemorySaver", () => {
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  for (const pipeline of [false, true]) {
    for (const scenario of graphScenarios) {
      it(`${scenario.name}${pipeline ? " (pipelined writes)" : ""}: every step's state, history, getTuple, get and list match`, async () => {
        const expected = await scenario.play(lg as unknown as LG, new MemorySaver(), "thread");
        const engine = await openTestEngine(uniqueName("lg-parity"));
        engines.push(engine);
        const actual = await scenario.play(lg as unknown as LG, new IndexedDBSaver(engine, { pipeline }), "thread");
        expect(actual).toEqual(expected);
      });
    }
  }

  it("pipelined: flush() rejects with a write's failure once, after the put that queued it had resolved", async () => {
    const engine = await openTestEngine(uniqueName("lg-pipeline"));
    engines.push(engine);
    // Every put fails, alone or in a batch; writes of tasks still go through.
    const fire = () => Promise.reject(new Error("disk on fire"));
    const batch = (ops: Parameters<typeof engine.saver.batch>[0]) => (ops.some((o) => "put" in o) ? fire() : engine.saver.batch(ops));
    const failing = { name: engine.name, saver: { ...engine.saver, batch, put: fire } };
    const saver = new IndexedDBSaver(failing as never, { pipeline: true });
    const graph = new lg.StateGraph(lg.MessagesAnnotation).addNode("a", () => ({})).addEdge(lg.START, "a").compile({ checkpointer: saver });
    await graph.invoke({ messages: [] }, { configurable: { thread_id: "t" } }).catch(() => {});
    await expect(saver.flush()).rejects.toThrow(/disk on fire/);
    await expect(saver.flush()).resolves.toBeUndefined();
  });
});
