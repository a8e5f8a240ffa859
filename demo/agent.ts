import { Annotation, END, MessagesAnnotation, START, StateGraph, type BaseCheckpointSaver, type BaseStore, type LangGraphRunnableConfig } from "@langchain/langgraph/web";
import { AIMessage, ToolMessage } from "@langchain/core/messages";
import { respond } from "./responder";
import { runTool } from "./tools";

/**
 * The demo's agent: a two-node LangGraph.js graph (agent -> tools -> agent) that stops before
 * every tool run for the user's approval.
 *
 * The pause is a static breakpoint (`interruptBefore: ["tools"]`), not `interrupt()`: in a
 * browser `interrupt()` needs AsyncLocalStorage, which LangGraph.js only finds in Node. A
 * breakpoint needs nothing of the kind, and the approval's question is already in the state:
 * the pending tool call of the last AI message.
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
      const messages: ToolMessage[] = [];
      const notes: string[] = [];
      // Notes live in the long-term store when there is one: a note taken in one conversation is
      // found from every other.
      const saved = config.store ? await savedNotes(config.store) : state.notes;
      for (const call of last.tool_calls ?? []) {
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
    .compile({ checkpointer, store, interruptBefore: [APPROVAL_NODE] });
}

export type Agent = ReturnType<typeof buildAgent>;

/** What the user declined, as the tool's result: the graph then continues as if the tool had run. */
export function declined(call: { id?: string; name: string }): ToolMessage {
  return new ToolMessage({ content: "You declined this step.", tool_call_id: call.id ?? "", name: call.name, status: "error" });
}
