import { afterEach, describe, expect, it } from "vitest";
import { Annotation, DeltaChannel, END, START, StateGraph, messagesDeltaReducer } from "@langchain/langgraph";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { IndexedDBSaver } from "../../src/langgraph/index";
import type { CheckpointSaver } from "../../src/types";
import type { Engine } from "../../worker/index";
import { inspectChat } from "./chat-scenario";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";

// LangGraph's (beta) DeltaChannel keeps most steps' messages out of the checkpoint and rebuilds
// them from ancestor writes through getDeltaChannelHistory, which our saver answers in one call.

function buildGraph(checkpointer: BaseCheckpointSaver) {
  const State = Annotation.Root({ messages: new DeltaChannel(messagesDeltaReducer, { snapshotFrequency: 3 }) });
  return new StateGraph(State)
    .addNode("assistant", (s: typeof State.State) => ({
      messages: [new AIMessage({ id: `ai-${s.messages.length}`, content: `reply to ${s.messages.length} messages` })],
    }))
    .addEdge(START, "assistant")
    .addEdge("assistant", END)
    .compile({ checkpointer });
}

async function chat(checkpointer: BaseCheckpointSaver, turns: number) {
  const graph = buildGraph(checkpointer);
  for (let i = 0; i < turns; i++) {
    await graph.invoke({ messages: [new HumanMessage({ id: `h-${i}`, content: `question ${i}` })] }, { configurable: { thread_id: "t" } });
  }
  return graph;
}

/** The engine's saver with a count of the calls made to each method. */
function counting(engine: Engine): { saver: CheckpointSaver; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const saver = new Proxy(engine.saver, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { saver, calls };
}

describe("DeltaChannel state on IndexedDBSaver", () => {
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  it("rebuilds the same messages and history as MemorySaver, with one store call per rebuilt channel set", async () => {
    const turns = 7;
    const expected = await inspectChat(await chat(new MemorySaver(), turns) as never, "t");

    const name = uniqueName("lg-delta");
    const engine = await openTestEngine(name);
    engines.push(engine);
    const { saver, calls } = counting(engine);
    const graph = await chat(new IndexedDBSaver({ saver }), turns);
    const state = await graph.getState({ configurable: { thread_id: "t" } });
    expect(state.values.messages.map((m: { id?: string }) => m.id)).toEqual(
      Array.from({ length: turns }, (_, i) => [`h-${i}`, `ai-${2 * i + 1}`]).flat(),
    );
    expect(await inspectChat(graph as never, "t")).toEqual(expected);
    // The history walk happens inside the store: one getTuple per invoke and per getState, none
    // per ancestor (the default walk would make one per ancestor for every rebuild).
    expect(calls.get("getDeltaChannelHistory")).toBeGreaterThanOrEqual(turns);
    expect(calls.get("getTuple")).toBeLessThanOrEqual(turns + 2);

    await engine.close();
    const reopened = await openTestEngine(name);
    engines.push(reopened);
    expect(await inspectChat(buildGraph(new IndexedDBSaver(reopened)) as never, "t")).toEqual(expected);
  });
});
