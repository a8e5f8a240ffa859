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

  // Writes that take their time to be stored: runs resume and read state while their own
  // writes are in flight, which the saver then answers from those writes.
  for (const scenario of graphScenarios) {
    it(`${scenario.name} (pipelined, every write held 5 ms): every step's state, history, getTuple, get and list match`, async () => {
      const expected = await scenario.play(lg as unknown as LG, new MemorySaver(), "thread");
      const engine = await openTestEngine(uniqueName("lg-parity-slow"));
      engines.push(engine);
      const later = <T>(f: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => f().then(resolve, reject), 5));
      const saver = {
        ...engine.saver,
        batch: (ops: Parameters<typeof engine.saver.batch>[0]) => later(() => engine.saver.batch(ops)),
        put: (r: Parameters<typeof engine.saver.put>[0]) => later(() => engine.saver.put(r)),
        putWrites: (r: Parameters<typeof engine.saver.putWrites>[0]) => later(() => engine.saver.putWrites(r)),
      };
      const actual = await scenario.play(lg as unknown as LG, new IndexedDBSaver({ name: engine.name, saver }, { pipeline: true }), "thread");
      expect(actual).toEqual(expected);
    });
  }

  it("pipelined: getTuple answers from the thread's writes in flight without waiting for them, the tuple the store gives once they land", async () => {
    const engine = await openTestEngine(uniqueName("lg-in-flight"));
    engines.push(engine);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let storeReads = 0;
    const held = {
      ...engine.saver,
      batch: async (ops: Parameters<typeof engine.saver.batch>[0]) => (await gate, engine.saver.batch(ops)),
      put: async (r: Parameters<typeof engine.saver.put>[0]) => (await gate, engine.saver.put(r)),
      putWrites: async (r: Parameters<typeof engine.saver.putWrites>[0]) => (await gate, engine.saver.putWrites(r)),
      getTuple: (r: Parameters<typeof engine.saver.getTuple>[0]) => (storeReads++, engine.saver.getTuple(r)),
    };
    const saver = new IndexedDBSaver({ name: engine.name, saver: held }, { pipeline: true });
    const graph = new lg.StateGraph(lg.MessagesAnnotation)
      .addNode("ask", (s) => ({ messages: [{ role: "ai", content: `asked after ${s.messages.length}` }] }))
      .addNode("wait", () => ({ messages: [{ role: "ai", content: String(lg.interrupt("ok?")) }] }))
      .addEdge(lg.START, "ask")
      .addEdge("ask", "wait")
      .compile({ checkpointer: saver });
    const cfg = { configurable: { thread_id: "t" } };
    await graph.invoke({ messages: [{ role: "user", content: "hi" }] }, cfg);
    const readsBefore = storeReads;
    // Nothing is stored yet: the gate holds every write.
    const inFlight = await saver.getTuple(cfg);
    const state = await graph.getState(cfg);
    expect(storeReads).toBe(readsBefore);
    expect(state.next).toEqual(["wait"]);
    open();
    await saver.flush();
    expect(await new IndexedDBSaver(engine).getTuple(cfg)).toEqual(inFlight);
  });

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
