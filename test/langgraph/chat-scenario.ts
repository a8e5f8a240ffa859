import type * as LangGraph from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";

/**
 * A small chat graph run the same way against two checkpointers, so their visible results can be
 * compared: a subgraph that drafts a reply, a human-in-the-loop `interrupt()` that approves or
 * replaces it, several turns, a manual `updateState` and a fork from an earlier checkpoint.
 * The LangGraph module is a parameter: Node passes `@langchain/langgraph`, the browser its
 * `/web` entry.
 */
export type LangGraphModule = Pick<typeof LangGraph, "StateGraph" | "Annotation" | "MessagesAnnotation" | "START" | "END" | "interrupt" | "Command">;

export function buildChatGraph(lg: LangGraphModule, checkpointer: BaseCheckpointSaver) {
  const State = lg.Annotation.Root({
    ...lg.MessagesAnnotation.spec,
    draft: lg.Annotation<string>({ reducer: (_old, next) => next, default: () => "" }),
    turn: lg.Annotation<number>({ reducer: (_old, next) => next, default: () => 0 }),
  });
  const drafting = new lg.StateGraph(State)
    .addNode("compose", (s: typeof State.State) => {
      const last = s.messages[s.messages.length - 1];
      return { draft: `Re: ${String(last?.content ?? "")}`, turn: s.turn + 1 };
    })
    .addEdge(lg.START, "compose")
    .addEdge("compose", lg.END)
    .compile();
  return new lg.StateGraph(State)
    .addNode("writer", drafting)
    .addNode("review", (s: typeof State.State) => {
      // interrupt() is the node's first statement, before any await: in the browser LangGraph
      // finds the run's config through a synchronous context that an await would lose.
      const answer = lg.interrupt({ question: "Send this reply?", draft: s.draft });
      const content = answer === "ok" ? s.draft : String(answer);
      return { messages: [new AIMessage({ id: `ai-${s.turn}`, content })] };
    })
    .addEdge(lg.START, "writer")
    .addEdge("writer", "review")
    .addEdge("review", lg.END)
    .compile({ checkpointer });
}

export type ChatGraph = ReturnType<typeof buildChatGraph>;

const config = (thread_id: string) => ({ configurable: { thread_id } });
const human = (id: string, content: string): BaseMessage => new HumanMessage({ id, content });

/** Plays the scenario; resolves with what a user would see along the way, normalized. */
export async function playChat(lg: LangGraphModule, graph: ChatGraph, threadId: string): Promise<unknown[]> {
  const cfg = config(threadId);
  const seen: unknown[] = [];
  const record = async (label: string, result?: unknown) => {
    seen.push(normalize({ label, result, state: await graph.getState(cfg, { subgraphs: true }) }));
  };

  await record("turn 1 paused", await graph.invoke({ messages: [human("h1", "hello")] }, cfg));
  await record("turn 1 resumed", await graph.invoke(new lg.Command({ resume: "ok" }), cfg));
  await record("turn 2 paused", await graph.invoke({ messages: [human("h2", "how are you?")] }, cfg));
  await record("turn 2 answered by hand", await graph.invoke(new lg.Command({ resume: "Fine, thanks." }), cfg));
  await graph.updateState(cfg, { draft: "edited by hand" });
  await record("after updateState");

  // Fork: go back to the end of turn 1 and take the conversation elsewhere.
  let endOfTurn1: { config: unknown } | undefined;
  for await (const snap of graph.getStateHistory(cfg)) {
    if (snap.next.length === 0 && snap.values.messages?.length === 2) endOfTurn1 = snap;
  }
  if (!endOfTurn1) throw new Error("the end of turn 1 is not in the history");
  await record("fork paused", await graph.invoke({ messages: [human("h3", "something else")] }, endOfTurn1.config as typeof cfg));
  await record("fork resumed", await graph.invoke(new lg.Command({ resume: "ok" }), cfg));
  return seen;
}

/** getState and the whole getStateHistory of the thread, normalized. */
export async function inspectChat(graph: ChatGraph, threadId: string): Promise<unknown> {
  const cfg = config(threadId);
  const history: unknown[] = [];
  for await (const snap of graph.getStateHistory(cfg)) history.push(snap);
  return normalize({ state: await graph.getState(cfg, { subgraphs: true }), history });
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const HEX_ID = /\b[0-9a-f]{32}\b/g;

/**
 * JSON of `value` with run-specific parts made comparable: timestamps dropped, and every
 * checkpoint / task / interrupt id replaced by the order in which it first appears. Two runs
 * that build the same tree of checkpoints then produce the same text.
 */
export function normalize(value: unknown): unknown {
  const json = JSON.stringify(value, (key, v: unknown) => (key === "createdAt" || key === "ts" ? undefined : v));
  const tokens = new Map<string, string>();
  const token = (id: string) => {
    if (!tokens.has(id)) tokens.set(id, `<id${tokens.size}>`);
    return tokens.get(id)!;
  };
  return JSON.parse(json.replace(UUID, token).replace(HEX_ID, token));
}
