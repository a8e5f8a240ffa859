import { afterEach, describe, expect, it } from "vitest";
import { Annotation, END, START, StateGraph, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { IndexedDBSaver, IndexedDBStore } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";
import { TestEmbeddings } from "../memory/embeddings";

/**
 * A graph compiled with { checkpointer, store }: its nodes reach the store through the config
 * LangGraph passes them (config.store), as LangGraph documents for long-term memory. What one
 * thread remembers, another thread finds, also after the engine is opened again.
 */
const State = Annotation.Root({
  user: Annotation<string>,
  input: Annotation<string>,
  answer: Annotation<string>,
});

function buildGraph(engine: Engine) {
  const store = new IndexedDBStore(engine, { index: { dims: 8, embeddings: new TestEmbeddings(8), fields: ["text"] } });
  const graph = new StateGraph(State)
    .addNode("remember_or_recall", async (state: typeof State.State, config: LangGraphRunnableConfig) => {
      const namespace = ["memories", state.user];
      if (state.input.startsWith("remember ")) {
        const text = state.input.slice("remember ".length);
        await config.store!.put(namespace, `m${(await config.store!.search(namespace, { limit: 100 })).length}`, { text });
        return { answer: "noted" };
      }
      const hits = await config.store!.search(namespace, { query: state.input, limit: 1 });
      const exact = await config.store!.search(namespace, { filter: { text: state.input }, limit: 1 });
      return { answer: (exact[0] ?? hits[0])?.value.text ?? "nothing remembered" };
    })
    .addEdge(START, "remember_or_recall")
    .addEdge("remember_or_recall", END)
    .compile({ checkpointer: new IndexedDBSaver(engine), store });
  return { graph, store };
}

describe("a LangGraph graph with IndexedDBStore as its store (engine, fake-indexeddb)", () => {
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  it("lets a node in one thread remember what a node in another thread finds, also after reopening", async () => {
    const name = uniqueName("lg-memory");
    const engine = await openTestEngine(name);
    engines.push(engine);
    const { graph, store } = buildGraph(engine);
    await graph.invoke({ user: "ada", input: "remember likes tea" }, { configurable: { thread_id: "t1" } });
    await graph.invoke({ user: "ada", input: "remember lives in Paris" }, { configurable: { thread_id: "t1" } });
    await graph.invoke({ user: "bob", input: "remember likes coffee" }, { configurable: { thread_id: "t2" } });

    const asked = await graph.invoke({ user: "ada", input: "likes tea" }, { configurable: { thread_id: "t3" } });
    expect(asked.answer).toBe("likes tea");
    expect((await store.search(["memories", "ada"])).map((i) => i.value.text)).toEqual(["likes tea", "lives in Paris"]);
    expect(await store.listNamespaces({ prefix: ["memories"] })).toEqual([
      ["memories", "ada"],
      ["memories", "bob"],
    ]);

    await engine.close();
    const reopened = await openTestEngine(name);
    engines.push(reopened);
    const again = buildGraph(reopened);
    const later = await again.graph.invoke({ user: "bob", input: "likes coffee" }, { configurable: { thread_id: "t4" } });
    expect(later.answer).toBe("likes coffee");
    const ranked = await again.store.search(["memories", "ada"], { query: "likes tea" });
    expect(ranked[0].value.text).toBe("likes tea");
    expect(ranked[0].score).toBeCloseTo(1, 12);
  });

  it("stores puts in the order they were called, even when an earlier one's embedding takes longer", async () => {
    const engine = await openTestEngine(uniqueName("memory-order"));
    engines.push(engine);
    let calls = 0;
    const embed = async (texts: string[]) => {
      // The first call answers last.
      if (calls++ === 0) await new Promise((r) => setTimeout(r, 50));
      return texts.map((t) => Array.from({ length: 4 }, (_, i) => t.charCodeAt(i % t.length) + i));
    };
    const store = new IndexedDBStore(engine, { index: { dims: 4, embed, fields: ["text"] } });
    await Promise.all([store.put(["n"], "k", { text: "first" }), store.put(["n"], "k", { text: "second" })]);
    expect((await store.get(["n"], "k"))?.value).toEqual({ text: "second" });
    // A delete called after a put it did not wait for lands after it.
    calls = 0;
    await Promise.all([store.put(["n"], "gone2", { text: "slow" }), store.delete(["n"], "gone2")]);
    expect(await store.get(["n"], "gone2")).toBeNull();
  });
});
