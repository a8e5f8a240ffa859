import { afterEach, describe, expect, it } from "vitest";
import { commands } from "vitest/browser";
import * as lg from "@langchain/langgraph/web";
import { openStore, type Store } from "../../src/index";
import { IndexedDBSaver, installSynchronousContext } from "../../src/langgraph/index";
import { graphScenarios, type Scenario } from "../langgraph/graph-scenarios";
import { awaitScenarios } from "../langgraph/await-scenarios";
import { uniqueName } from "../conformance/backend";

// Nodes of the scenarios that interrupt at their synchronous start need the context installed
// before the first run; those that interrupt after an await use inNodeContext.
installSynchronousContext();

declare module "vitest/browser" {
  interface BrowserCommands {
    playScenarioInNode(name: string): Promise<unknown[]>;
  }
}

function compareWithNode(title: string, scenarios: Scenario[]) {
  describe(title, () => {
    const stores: Store[] = [];
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });
    for (const scenario of scenarios) {
      for (const pipeline of [false, true]) {
        it(`${scenario.name}${pipeline ? " (pipelined writes)" : ""}: reads back what the same graph in Node on MemorySaver does`, async () => {
          const expected = await commands.playScenarioInNode(scenario.name);
          const store = await openStore({ name: uniqueName("lg-parity") });
          stores.push(store);
          expect(await scenario.play(lg, new IndexedDBSaver(store, { pipeline }), "thread")).toEqual(expected);
        });
      }
    }
  });
}

compareWithNode("real graphs on the web entry and IndexedDBSaver through the worker, in Chromium", graphScenarios);
compareWithNode("interrupt() after awaits with inNodeContext, on the web entry in Chromium", awaitScenarios);

describe("what inNodeContext is for", () => {
  it("interrupt() after an await without inNodeContext fails loudly in the browser instead of using another task's context", async () => {
    const store = await openStore({ name: uniqueName("lg-no-context") });
    try {
      const graph = new lg.StateGraph(lg.MessagesAnnotation)
        .addNode("late", async () => {
          await new Promise((r) => setTimeout(r, 0));
          lg.interrupt("too late");
          return {};
        })
        .addEdge(lg.START, "late")
        .compile({ checkpointer: new IndexedDBSaver(store) });
      await expect(graph.invoke({ messages: [] }, { configurable: { thread_id: "t" } })).rejects.toThrow(/outside the context of a graph/);
    } finally {
      await store.close();
    }
  });
});
