import type { RunnableConfig } from "@langchain/core/runnables";
import { inNodeContext } from "../../src/langgraph/index";
import { Player, type Scenario } from "./graph-scenarios";

/**
 * interrupt() after awaits, through `inNodeContext`: several per node, in a subgraph, in
 * parallel branches, and a subgraph invoked by hand after an await. The browser runs these on
 * LangGraph's web entry and IndexedDBSaver and compares with the same code run in Node on
 * MemorySaver.
 */

/** A few macrotask turns: what a fetch or a model call does to a node's synchronous context. */
async function awaitSomething(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    await Promise.resolve();
  }
}

const severalInOneNode: Scenario = {
  name: "two interrupts in one node, each after awaits",
  async play(lg, saver, threadId) {
    const State = lg.Annotation.Root({ answers: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    const graph = new lg.StateGraph(State)
      .addNode("interview", async (_s: typeof State.State, config: RunnableConfig) => {
        await awaitSomething(2);
        const name = inNodeContext(config, () => lg.interrupt({ ask: "name?" }));
        await awaitSomething(3);
        const city = inNodeContext(config, () => lg.interrupt({ ask: `where do you live, ${String(name)}?` }));
        await awaitSomething(1);
        return { answers: [String(name), String(city)] };
      })
      .addEdge(lg.START, "interview")
      .compile({ checkpointer: saver });
    const p = new Player(graph, saver, threadId);
    await p.invoke("start", { answers: [] });
    await p.invoke("name", new lg.Command({ resume: "Ada" }));
    await p.invoke("city", new lg.Command({ resume: "London" }));
    return p.seen;
  },
};

const inSubgraph: Scenario = {
  name: "an interrupt after awaits inside a subgraph, and a subgraph invoked by hand after an await",
  async play(lg, saver, threadId) {
    const State = lg.Annotation.Root({ log: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    const approval = new lg.StateGraph(State)
      .addNode("approve", async (_s: typeof State.State, config: RunnableConfig) => {
        await awaitSomething(2);
        return { log: [`approved: ${String(inNodeContext(config, () => lg.interrupt("approve?")))}`] };
      })
      .addEdge(lg.START, "approve")
      .compile();
    const graph = new lg.StateGraph(State)
      .addNode("compiled-in", approval)
      .addNode("by-hand", async (s: typeof State.State, config: RunnableConfig) => {
        await awaitSomething(1);
        // Invoking a subgraph needs the parent's context too: started inside it, it is a subgraph.
        const out = await inNodeContext(config, () => approval.invoke({ log: [] }));
        return { log: [`by hand after ${s.log.length}: ${out.log.join(",")}`] };
      })
      .addEdge(lg.START, "compiled-in")
      .addEdge("compiled-in", "by-hand")
      .compile({ checkpointer: saver });
    const p = new Player(graph, saver, threadId);
    await p.invoke("start", { log: [] });
    await p.invoke("approve compiled-in", new lg.Command({ resume: "yes" }));
    await p.invoke("approve by hand", new lg.Command({ resume: "also yes" }));
    return p.seen;
  },
};

const parallelBranches: Scenario = {
  name: "interrupts after awaits in parallel branches, resumed together and one at a time",
  async play(lg, saver, threadId) {
    const State = lg.Annotation.Root({
      topics: lg.Annotation<string[]>({ reducer: (_a, b) => b, default: () => [] }),
      verdicts: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
    });
    const graph = new lg.StateGraph(State)
      .addNode("split", () => ({}))
      .addNode("review", async (s: { topic: string }, config: RunnableConfig) => {
        // Branches wait different times, so their interrupts are raised in a different order.
        await awaitSomething(s.topic.length);
        const verdict = inNodeContext(config, () => lg.interrupt({ review: s.topic }));
        return { verdicts: [`${s.topic}: ${String(verdict)}`] };
      })
      .addNode("collect", (s: typeof State.State) => ({ verdicts: [`collected ${s.verdicts.length}`] }))
      .addEdge(lg.START, "split")
      .addConditionalEdges("split", (s: typeof State.State) => s.topics.map((topic) => new lg.Send("review", { topic })))
      .addEdge("review", "collect")
      .compile({ checkpointer: saver });
    const p = new Player(graph, saver, threadId);
    await p.invoke("fan out to three", { topics: ["budget", "ux", "security review"] });
    const ids = await p.interruptIds();
    await p.invoke("resume two of them by id", new lg.Command({ resume: { [ids[0]]: "ok", [ids[2]]: "needs work" } }));
    const [last] = await p.interruptIds();
    await p.invoke("resume the last", new lg.Command({ resume: { [last]: "fine" } }));
    return p.seen;
  },
};

export const awaitScenarios: Scenario[] = [severalInOneNode, inSubgraph, parallelBranches];
