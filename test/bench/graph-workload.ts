import type * as LangGraphWeb from "@langchain/langgraph/web";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import { inNodeContext } from "../../src/langgraph/index";

/**
 * The graph of the LangGraph bench: 20 steps (12 in the parent, 8 in a subgraph), two
 * interrupts (one in the parent, one in the subgraph, each after an await), every step adding a
 * chat-sized entry to a growing log, so checkpoints grow as an agent's do. One `playGraph` is
 * what an app does for one task: start it, answer two questions, read the final state.
 */
type LG = typeof LangGraphWeb;

const PARENT_STEPS = 12;
const SUB_STEPS = 8;
export const GRAPH_STEPS = PARENT_STEPS + SUB_STEPS;

const entry = (who: string, i: number) => `${who} step ${i}: ${"lorem ipsum dolor sit amet ".repeat(8)}`;

export function buildBenchGraph(lg: LG, checkpointer: BaseCheckpointSaver) {
  const list = () => lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] });
  const State = lg.Annotation.Root({ log: list(), answers: list(), subLog: list(), subAnswers: list() });
  // The subgraph has channels of its own, which its result adds to the parent's.
  const SubState = lg.Annotation.Root({ subLog: list(), subAnswers: list() });
  let sub = new lg.StateGraph(SubState) as unknown as { addNode: Function; addEdge: Function; compile: Function };
  for (let i = 0; i < SUB_STEPS; i++) {
    sub = sub.addNode(`s${i}`, async (_s: unknown, config: RunnableConfig) => {
      await Promise.resolve();
      if (i === SUB_STEPS / 2) {
        const answer = inNodeContext(config, () => lg.interrupt({ question: "continue the subgraph?" }));
        return { subLog: [entry("sub", i)], subAnswers: [String(answer)] };
      }
      return { subLog: [entry("sub", i)] };
    });
    sub = sub.addEdge(i === 0 ? lg.START : `s${i - 1}`, `s${i}`);
  }
  const subgraph = sub.compile();
  let g = new lg.StateGraph(State) as unknown as { addNode: Function; addEdge: Function; compile: Function };
  const names: string[] = [];
  for (let i = 0; i < PARENT_STEPS - 1; i++) {
    const name = `p${i}`;
    g = g.addNode(name, async (_s: unknown, config: RunnableConfig) => {
      await Promise.resolve();
      if (i === 3) {
        const answer = inNodeContext(config, () => lg.interrupt({ question: "go on?" }));
        return { log: [entry("parent", i)], answers: [String(answer)] };
      }
      return { log: [entry("parent", i)] };
    });
    names.push(name);
    // The subgraph is the parent's middle step.
    if (i === 5) {
      g = g.addNode("sub", subgraph);
      names.push("sub");
    }
  }
  names.forEach((name, i) => {
    g = g.addEdge(i === 0 ? lg.START : names[i - 1], name);
  });
  return g.compile({ checkpointer }) as {
    invoke(input: unknown, config: RunnableConfig): Promise<Record<string, unknown>>;
    getState(config: RunnableConfig): Promise<{ values: { log: string[]; answers: string[]; subLog: string[]; subAnswers: string[] } }>;
  };
}

/** Runs the graph to the end on a fresh thread: start, two resumes, then reads the state. */
export async function playGraph(lg: LG, graph: ReturnType<typeof buildBenchGraph>, threadId: string): Promise<{ steps: number; answers: string[] }> {
  const cfg = { configurable: { thread_id: threadId } };
  await graph.invoke({ log: [] }, cfg);
  await graph.invoke(new lg.Command({ resume: "yes" }), cfg);
  await graph.invoke(new lg.Command({ resume: "sure" }), cfg);
  const { values } = await graph.getState(cfg);
  return { steps: values.log.length + values.subLog.length, answers: [...values.answers, ...values.subAnswers] };
}
