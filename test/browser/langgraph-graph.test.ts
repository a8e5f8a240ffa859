import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph/web";
import { openStore, type Store } from "../../src/index";
import { IndexedDBSaver, installSynchronousContext } from "../../src/langgraph/index";
import { buildChatGraph, inspectChat, playChat } from "../langgraph/chat-scenario";
import { uniqueName } from "../conformance/backend";

// interrupt() needs an async context the browser lacks: the library's synchronous one serves.
installSynchronousContext();

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
