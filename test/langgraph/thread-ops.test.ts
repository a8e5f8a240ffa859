import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph";
import { HumanMessage } from "@langchain/core/messages";
import { IndexedDBSaver } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { buildChatGraph, inspectChat } from "./chat-scenario";
import { countRows, openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";

const cfg = (thread_id: string, run_id?: string) => ({ configurable: { thread_id }, ...(run_id ? { metadata: { run_id } } : {}) });
const say = (id: string, content: string) => ({ messages: [new HumanMessage({ id, content })] });

describe("IndexedDBSaver thread operations on a real graph (engine, fake-indexeddb)", () => {
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });
  async function fresh() {
    const name = uniqueName("lg-threads");
    const engine = await openTestEngine(name);
    engines.push(engine);
    const saver = new IndexedDBSaver(engine);
    return { name, saver, graph: buildChatGraph(lg, saver) };
  }

  it("copyThread gives a thread the same state and history, which then goes its own way", async () => {
    const { saver, graph } = await fresh();
    await graph.invoke(say("h1", "hello"), cfg("a"));
    await graph.invoke(new lg.Command({ resume: "ok" }), cfg("a"));
    await graph.invoke(say("h2", "and now?"), cfg("a"));
    const a = JSON.stringify(await inspectChat(graph, "a"));
    await saver.copyThread("a", "b");
    expect(JSON.stringify(await inspectChat(graph, "b")).replaceAll('"thread_id":"b"', '"thread_id":"a"')).toBe(a);
    // b is paused at the same interrupt; answering it there leaves a paused.
    await graph.invoke(new lg.Command({ resume: "Not now." }), cfg("b"));
    expect((await graph.getState(cfg("b"))).values.messages.at(-1)?.content).toBe("Not now.");
    expect(JSON.stringify(await inspectChat(graph, "a"))).toBe(a);
  });

  it("prune keep_latest leaves the state where it was, paused threads resumable, the history one checkpoint long, and fewer rows", async () => {
    const { saver, graph, name } = await fresh();
    for (const [i, text] of ["one", "two", "three"].entries()) {
      await graph.invoke(say(`h${i}`, text), cfg("t"));
      await graph.invoke(new lg.Command({ resume: "ok" }), cfg("t"));
    }
    await graph.invoke(say("h9", "last"), cfg("t"));
    const before = await graph.getState(cfg("t"), { subgraphs: true });
    const rowsBefore = await countRows(name);
    await saver.prune(["t"], { strategy: "keep_latest" });
    const after = await graph.getState(cfg("t"), { subgraphs: true });
    expect(after.values).toEqual(before.values);
    expect(after.next).toEqual(before.next);
    expect(after.tasks.map((t) => t.interrupts)).toEqual(before.tasks.map((t) => t.interrupts));
    const history = [];
    for await (const s of graph.getStateHistory(cfg("t"))) history.push(s);
    expect(history).toHaveLength(1);
    const rowsAfter = await countRows(name);
    expect(rowsAfter.meta).toBeLessThan(rowsBefore.meta);
    await graph.invoke(new lg.Command({ resume: "ok" }), cfg("t"));
    expect((await graph.getState(cfg("t"))).values.messages.map((m: { content: unknown }) => m.content).slice(-2)).toEqual(["last", "Re: last"]);
  });

  it("deleteForRuns takes back what a run wrote (its run_id in the config's metadata): the thread is as the run before left it", async () => {
    const { saver, graph } = await fresh();
    await graph.invoke(say("h1", "hello"), cfg("t", "run-1"));
    await graph.invoke(new lg.Command({ resume: "ok" }), cfg("t", "run-2"));
    const afterRun2 = await graph.getState(cfg("t"));
    await graph.invoke(say("h2", "regret this"), cfg("t", "run-3"));
    await saver.deleteForRuns(["run-3"]);
    const now = await graph.getState(cfg("t"));
    expect(now.values).toEqual(afterRun2.values);
    expect(now.config).toEqual(afterRun2.config);
    // MemorySaver-visible metadata is unchanged: the run id is kept beside it.
    expect(now.metadata).toEqual(afterRun2.metadata);
    expect(now.metadata).not.toHaveProperty("run_id");
  });

  it("listThreads lists threads newest first with their last update and metadata", async () => {
    const { saver, graph } = await fresh();
    for (const t of ["x", "y", "z"]) await graph.invoke(say(`h-${t}`, t), cfg(t));
    await graph.invoke(new lg.Command({ resume: "ok" }), cfg("x"));
    const threads = await saver.listThreads();
    expect(threads.map((t) => t.threadId)).toEqual(["x", "z", "y"]);
    const x = await saver.getTuple(cfg("x"));
    expect(threads[0]).toEqual({ threadId: "x", updatedAt: x?.checkpoint.ts, checkpointId: x?.checkpoint.id, metadata: x?.metadata });
    expect(Date.parse(threads[0].updatedAt)).toBeGreaterThanOrEqual(Date.parse(threads[1].updatedAt));
    expect((await saver.listThreads({ limit: 1 })).map((t) => t.threadId)).toEqual(["x"]);
  });
});
