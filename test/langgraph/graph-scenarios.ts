import type * as LangGraphWeb from "@langchain/langgraph/web";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { inNodeContext } from "../../src/langgraph/index";
import { Normalizer, snapshot } from "./snapshot";

/**
 * Real graphs of the kinds LangGraph apps build, each played step by step against a
 * checkpointer, recording after every step what the app can read back (see snapshot.ts). A
 * scenario run on MemorySaver and on IndexedDBSaver must record the same.
 *
 * The LangGraph module is a parameter: Node passes `@langchain/langgraph`, the browser its web
 * entry. Nodes that interrupt after an await do it through `inNodeContext`, which is what makes
 * that work in a browser; in Node it runs inside Node's own AsyncLocalStorage.
 */
export type LG = typeof LangGraphWeb;

export interface Scenario {
  name: string;
  play(lg: LG, saver: BaseCheckpointSaver, threadId: string): Promise<unknown[]>;
}

type Graph = Parameters<typeof snapshot>[1] & {
  invoke(input: unknown, config: RunnableConfig): Promise<unknown>;
};

/** Runs steps on a graph, recording each one's result and the thread's snapshot after it. */
export class Player {
  readonly seen: unknown[] = [];
  readonly n = new Normalizer();
  readonly cfg: { configurable: { thread_id: string } };
  constructor(
    readonly graph: Graph,
    readonly saver: BaseCheckpointSaver,
    readonly threadId: string,
  ) {
    this.cfg = { configurable: { thread_id: threadId } };
  }
  async step(label: string, run: () => Promise<unknown>): Promise<unknown> {
    const result = await run();
    this.seen.push({ label, result: this.n.apply(result), after: await snapshot(this.n, this.graph, this.saver, this.threadId) });
    return result;
  }
  invoke(label: string, input: unknown): Promise<unknown> {
    return this.step(label, () => this.graph.invoke(input, this.cfg));
  }
  /** The ids of the interrupts the thread waits on, in task order. */
  async interruptIds(): Promise<string[]> {
    const state = (await this.graph.getState(this.cfg)) as { tasks: Array<{ interrupts: Array<{ id: string }> }> };
    return state.tasks.flatMap((t) => t.interrupts.map((i) => i.id));
  }
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const human = (id: string, content: string): BaseMessage => new HumanMessage({ id, content });

const nestedSubgraphs: Scenario = {
  name: "nested subgraphs that interrupt at two depths",
  async play(lg, saver, threadId) {
    const State = lg.Annotation.Root({
      log: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
    });
    const grandchild = new lg.StateGraph(State)
      .addNode("ask", () => ({ log: [`grandchild heard ${String(lg.interrupt("grandchild?"))}`] }))
      .addEdge(lg.START, "ask")
      .compile();
    const child = new lg.StateGraph(State)
      .addNode("inner", grandchild)
      .addNode("confirm", () => ({ log: [`child heard ${String(lg.interrupt("child?"))}`] }))
      .addEdge(lg.START, "inner")
      .addEdge("inner", "confirm")
      .compile();
    const graph = new lg.StateGraph(State)
      .addNode("before", () => ({ log: ["before"] }))
      .addNode("middle", child)
      .addNode("after", () => ({ log: ["after"] }))
      .addEdge(lg.START, "before")
      .addEdge("before", "middle")
      .addEdge("middle", "after")
      .compile({ checkpointer: saver });
    const p = new Player(graph, saver, threadId);
    await p.invoke("start", { log: ["input"] });
    await p.invoke("resume grandchild", new lg.Command({ resume: "g" }));
    await p.invoke("resume child", new lg.Command({ resume: "c" }));
    return p.seen;
  },
};

const sendFanOut: Scenario = {
  name: "Send fan-out to parallel workers, messages channel never written",
  async play(lg, saver, threadId) {
    const State = lg.Annotation.Root({
      ...lg.MessagesAnnotation.spec,
      items: lg.Annotation<string[]>({ reducer: (_a, b) => b, default: () => [] }),
      results: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
      summary: lg.Annotation<string>({ reducer: (_a, b) => b, default: () => "" }),
    });
    const graph = new lg.StateGraph(State)
      .addNode("plan", (s: typeof State.State) => ({ items: s.items.length ? s.items : ["a", "b", "c"] }))
      .addNode("work", async (s: { item: string }) => {
        await tick();
        return { results: [s.item.toUpperCase()] };
      })
      .addNode("summarize", (s: typeof State.State) => ({ summary: [...s.results].sort().join("+") }))
      .addEdge(lg.START, "plan")
      .addConditionalEdges("plan", (s: typeof State.State) => s.items.map((item) => new lg.Send("work", { item })))
      .addEdge("work", "summarize")
      .addEdge("summarize", lg.END)
      .compile({ checkpointer: saver });
    const p = new Player(graph, saver, threadId);
    await p.invoke("first run", { items: [] });
    await p.invoke("second run", { items: ["x", "y"] });
    return p.seen;
  },
};

const deferredNode: Scenario = {
  name: "a deferred node waits for branches of different lengths",
  async play(lg, saver, threadId) {
    const State = lg.Annotation.Root({
      visited: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
    });
    const visit = (name: string) => () => ({ visited: [name] });
    const graph = new lg.StateGraph(State)
      .addNode("a", visit("a"))
      .addNode("b", visit("b"))
      .addNode("c", visit("c"))
      .addNode("c2", visit("c2"))
      .addNode("join", (s: typeof State.State) => ({ visited: [`join after ${s.visited.length}`] }), { defer: true })
      .addEdge(lg.START, "a")
      .addEdge("a", "b")
      .addEdge("a", "c")
      .addEdge("c", "c2")
      .addEdge("b", "join")
      .addEdge("c2", "join")
      .addEdge("join", lg.END)
      .compile({ checkpointer: saver });
    const p = new Player(graph, saver, threadId);
    await p.invoke("run", { visited: [] });
    await p.invoke("run again", { visited: ["again"] });
    return p.seen;
  },
};

const bulkUpdate: Scenario = {
  name: "bulk updateState over several supersteps, then a run continues from it",
  async play(lg, saver, threadId) {
    const State = lg.Annotation.Root({
      ...lg.MessagesAnnotation.spec,
      notes: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
    });
    const graph = new lg.StateGraph(State)
      .addNode("writer", (s: typeof State.State) => ({ notes: [`writer saw ${s.messages.length} messages`] }))
      .addNode("editor", (s: typeof State.State) => ({ notes: [`editor saw ${s.notes.length} notes`] }))
      .addEdge(lg.START, "writer")
      .addEdge("writer", "editor")
      .addEdge("editor", lg.END)
      .compile({ checkpointer: saver });
    const p = new Player(graph, saver, threadId);
    await p.step("bulk update", () =>
      graph.bulkUpdateState(p.cfg, [
        { updates: [{ values: { messages: [human("h1", "hi")] }, asNode: "__input__" }] },
        { updates: [{ values: { notes: ["w1"] }, asNode: "writer" }] },
        {
          updates: [
            { values: { notes: ["e1"] }, asNode: "editor" },
            { values: { messages: [new AIMessage({ id: "a1", content: "hello" })] }, asNode: "writer" },
          ],
        },
      ]),
    );
    await p.step("single update", () => graph.updateState(p.cfg, { notes: ["by hand"] }, "writer"));
    await p.invoke("run", { messages: [human("h2", "again")] });
    return p.seen;
  },
};

const toolLoop: Scenario = {
  name: "a createReactAgent-style tool loop with parallel tool calls and an approval interrupt",
  async play(lg, saver, threadId) {
    let modelCalls = 0;
    // A scripted model: two tool calls at once, then one more, then an answer.
    const script = (): AIMessage => {
      modelCalls += 1;
      const id = `ai-${modelCalls}`;
      if (modelCalls % 3 === 1) {
        return new AIMessage({
          id,
          content: "",
          tool_calls: [
            { id: `call-${modelCalls}-a`, name: "weather", args: { city: "Oslo" } },
            { id: `call-${modelCalls}-b`, name: "weather", args: { city: "Lima" } },
          ],
        });
      }
      if (modelCalls % 3 === 2) return new AIMessage({ id, content: "", tool_calls: [{ id: `call-${modelCalls}-c`, name: "clock", args: {} }] });
      return new AIMessage({ id, content: "Oslo is cold, Lima is mild, it is noon." });
    };
    const graph = new lg.StateGraph(lg.MessagesAnnotation)
      .addNode("agent", async () => {
        await tick();
        return { messages: [script()] };
      })
      .addNode("tools", async (call: { id: string; name: string; args: { city?: string } }, config: RunnableConfig) => {
        await tick();
        // The clock tool asks a human first, after an await: the node's config makes it possible.
        if (call.name === "clock") {
          const ok = inNodeContext(config, () => lg.interrupt({ tool: call.name, question: "run the clock tool?" }));
          if (ok !== "yes") return { messages: [new ToolMessage({ id: `tm-${call.id}`, tool_call_id: call.id, content: "refused" })] };
        }
        const content = call.name === "weather" ? `${call.args.city}: ${call.args.city === "Oslo" ? "-3" : "19"}C` : "12:00";
        return { messages: [new ToolMessage({ id: `tm-${call.id}`, tool_call_id: call.id, content })] };
      })
      .addEdge(lg.START, "agent")
      .addConditionalEdges("agent", (s: typeof lg.MessagesAnnotation.State) => {
        const last = s.messages[s.messages.length - 1] as AIMessage;
        // One task per tool call, run in parallel, as createReactAgent (v2) does.
        return last.tool_calls?.length ? last.tool_calls.map((tc) => new lg.Send("tools", tc)) : lg.END;
      }, ["tools", lg.END])
      .addEdge("tools", "agent")
      .compile({ checkpointer: saver });
    const p = new Player(graph, saver, threadId);
    await p.invoke("ask", { messages: [human("h1", "weather and time?")] });
    await p.invoke("approve the clock", new lg.Command({ resume: "yes" }));
    await p.invoke("ask again", { messages: [human("h2", "again?")] });
    await p.invoke("refuse the clock", new lg.Command({ resume: "no" }));
    return p.seen;
  },
};

const functionalApi: Scenario = {
  name: "functional API: an entrypoint with parallel tasks, an interrupt after awaits, and previous state",
  async play(lg, saver, threadId) {
    const double = lg.task("double", async (x: number) => {
      await tick();
      return x * 2;
    });
    const square = lg.task("square", (x: number) => x * x);
    const workflow = lg.entrypoint({ name: "workflow", checkpointer: saver }, async (input: { x: number }, config: RunnableConfig) => {
      // Tasks are called before the first await, then again after one through the node's context.
      const [d, s] = await Promise.all([double(input.x), square(input.x)]);
      await tick();
      const again = await inNodeContext(config, () => double(d + s));
      const verdict = inNodeContext(config, () => lg.interrupt({ question: "keep?", value: again }));
      const previous = inNodeContext(config, () => lg.getPreviousState<number[]>()) ?? [];
      return [...previous, verdict === "keep" ? again : -1];
    });
    const p = new Player(workflow as unknown as Graph, saver, threadId);
    await p.invoke("first", { x: 3 });
    await p.invoke("keep", new lg.Command({ resume: "keep" }));
    await p.invoke("second", { x: 1 });
    await p.invoke("drop", new lg.Command({ resume: "drop" }));
    return p.seen;
  },
};

const prototypeField: Scenario = {
  // "prototype" is a name every function carries, and a LangGraph state may use it as a field.
  name: "a state field named prototype, interrupted, updated by hand and resumed",
  async play(lg, saver, threadId) {
    const State = lg.Annotation.Root({
      prototype: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
    });
    const graph = new lg.StateGraph(State)
      .addNode("draft", () => ({ prototype: ["draft"] }))
      .addNode("review", () => ({ prototype: [`reviewed: ${String(lg.interrupt("ok?"))}`] }))
      .addEdge(lg.START, "draft")
      .addEdge("draft", "review")
      .compile({ checkpointer: saver });
    const p = new Player(graph, saver, threadId);
    await p.invoke("start", { prototype: ["idea"] });
    await p.step("update", () => graph.updateState(p.cfg, { prototype: ["edited"] }));
    await p.invoke("resume", new lg.Command({ resume: "yes" }));
    return p.seen;
  },
};

/** The kinds of graph from issue 14's list: what a checkpointer must round-trip exactly. */
export const graphScenarios: Scenario[] = [nestedSubgraphs, sendFanOut, deferredNode, bulkUpdate, toolLoop, functionalApi, prototypeField];
