import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { IndexedDBSaver } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { buildChatGraph, inspectChat, playChat } from "./chat-scenario";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";

describe("a LangGraph StateGraph on IndexedDBSaver (engine, fake-indexeddb)", () => {
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  it("chats with interrupt/resume, a subgraph, updateState and a fork exactly as with MemorySaver, also after reopening", async () => {
    const memoryGraph = buildChatGraph(lg, new MemorySaver());
    const expectedSteps = await playChat(lg, memoryGraph, "chat");
    const expected = await inspectChat(memoryGraph, "chat");

    const name = uniqueName("lg-graph");
    const engine = await openTestEngine(name);
    engines.push(engine);
    const graph = buildChatGraph(lg, new IndexedDBSaver(engine));
    expect(await playChat(lg, graph, "chat")).toEqual(expectedSteps);
    expect(await inspectChat(graph, "chat")).toEqual(expected);

    await engine.close();
    const reopened = await openTestEngine(name);
    engines.push(reopened);
    expect(await inspectChat(buildChatGraph(lg, new IndexedDBSaver(reopened)), "chat")).toEqual(expected);
  });
});
