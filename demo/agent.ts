import { Annotation, END, MessagesAnnotation, START, StateGraph, interrupt, type BaseCheckpointSaver, type BaseStore, type LangGraphRunnableConfig } from "@langchain/langgraph/web";
import { AIMessage, ToolMessage } from "@langchain/core/messages";
import { inNodeContext } from "idb-checkpoint/langgraph";
import { respond } from "./responder";
import { runTool } from "./tools";

/**
 * The demo's agent: a two-node LangGraph.js graph (agent -> tools -> agent) whose tools node asks
 * the user before it runs anything, with LangGraph's `interrupt()`. The node awaits first (a real
 * app would look the tool up, or check a policy); `inNodeContext(config, ...)` is what lets
 * `interrupt()` find its node after an await in a browser. The answer comes back through
 * `Command({ resume: "approve" | "decline" })`.
 */
export const AgentState = Annotation.Root({
  ...MessagesAnnotation.spec,
  notes: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

export type AgentValues = typeof AgentState.State;

export const APPROVAL_NODE = "tools";

/** Where the notes tool keeps notes: the long-term store, shared by every conversation. */
export const NOTES_NAMESPACE = ["demo", "notes"];

/** Every note in the store, oldest first. */
export async function savedNotes(store: BaseStore): Promise<string[]> {
  return (await store.search(NOTES_NAMESPACE, { limit: 1000 })).map((item) => String(item.value.text));
}

export function buildAgent(checkpointer: BaseCheckpointSaver, store?: BaseStore) {
  return new StateGraph(AgentState)
    .addNode("agent", (state: AgentValues) => ({ messages: [respond(state.messages, `call_${state.messages.length}`)] }))
    .addNode(APPROVAL_NODE, async (state: AgentValues, config: LangGraphRunnableConfig) => {
      const last = state.messages[state.messages.length - 1] as AIMessage;
      const calls = last.tool_calls ?? [];
      await Promise.resolve(calls);
      const answer = inNodeContext(config, () => interrupt<{ tools: string[] }, Answer>({ tools: calls.map((c) => c.name) }));
      if (answer === "decline") return { messages: calls.map(declined) };
      const messages: ToolMessage[] = [];
      const notes: string[] = [];
      // Notes live in the long-term store when there is one: a note taken in one conversation is
      // found from every other.
      const saved = config.store ? await savedNotes(config.store) : state.notes;
      for (const call of calls) {
        const outcome = runTool(call.name, call.args as Record<string, string>, saved.concat(notes));
        messages.push(new ToolMessage({ content: outcome.content, tool_call_id: call.id ?? "", name: call.name }));
        for (const text of outcome.notes ?? []) {
          await config.store?.put(NOTES_NAMESPACE, `note-${Date.now()}-${crypto.randomUUID().slice(0, 8)}`, { text, threadId: config.configurable?.thread_id, at: Date.now() });
          notes.push(text);
        }
      }
      return { messages, notes };
    })
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (state: AgentValues) => {
      const last = state.messages[state.messages.length - 1] as AIMessage;
      return last.tool_calls?.length ? APPROVAL_NODE : END;
    })
    .addEdge(APPROVAL_NODE, "agent")
    .compile({ checkpointer, store });
}

export type Agent = ReturnType<typeof buildAgent>;

/** The user's answer to a pending tool call, passed as `Command({ resume })`. */
export type Answer = "approve" | "decline";

/** What the user declined, as the tool's result: the graph then continues as if the tool had run. */
export function declined(call: { id?: string; name: string }): ToolMessage {
  return new ToolMessage({ content: "You declined this step.", tool_call_id: call.id ?? "", name: call.name, status: "error" });
}
