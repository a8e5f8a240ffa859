import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph/web";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { openStore, type Store } from "../../src/index";
import { IndexedDBSaver } from "../../src/langgraph/index";
import { buildChatGraph, inspectChat, playChat } from "../langgraph/chat-scenario";
import { uniqueName } from "../conformance/backend";

/**
 * interrupt() finds the running graph's config through LangChain's AsyncLocalStorage singleton,
 * which only Node provides. A browser has no async context, so this gives the singleton a
 * synchronous one: `run` sets the store for the synchronous part of the callback. LangGraph calls
 * a node inside `run`, so interrupt() works when it is called before the node's first await
 * (the scenario's review node does exactly that). This avoids compile({ interruptBefore }),
 * which would not exercise interrupt() and resume values at all.
 */
class SynchronousLocalStorage<T> {
  private current: T | undefined;
  getStore(): T | undefined {
    return this.current;
  }
  run<R>(store: T, callback: () => R): R {
    const previous = this.current;
    this.current = store;
    try {
      return callback();
    } finally {
      this.current = previous;
    }
  }
  enterWith(store: T): void {
    this.current = store;
  }
}
AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new SynchronousLocalStorage() as never);

describe("a LangGraph StateGraph (web entry) on IndexedDBSaver over openStore in Chromium", () => {
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it("chats with interrupt/resume, a subgraph, updateState and a fork exactly as with MemorySaver, also after reopening", async () => {
    const memoryGraph = buildChatGraph(lg, new lg.MemorySaver());
    const expectedSteps = await playChat(lg, memoryGraph, "chat");
    const expected = await inspectChat(memoryGraph, "chat");

    const name = uniqueName("lg-graph");
    const store = await openStore({ name });
    stores.push(store);
    const graph = buildChatGraph(lg, new IndexedDBSaver(store));
    expect(await playChat(lg, graph, "chat")).toEqual(expectedSteps);
    expect(await inspectChat(graph, "chat")).toEqual(expected);

    await store.close();
    const reopened = await openStore({ name });
    stores.push(reopened);
    expect(await inspectChat(buildChatGraph(lg, new IndexedDBSaver(reopened)), "chat")).toEqual(expected);
  });
});
