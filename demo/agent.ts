import { Annotation, END, MessagesAnnotation, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph/web";
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

export function buildAgent(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(AgentState)
    .addNode("agent", (state: AgentValues) => ({ messages: [respond(state.messages, `call_${state.messages.length}`)] }))
    .addNode(APPROVAL_NODE, (state: AgentValues) => {
      const last = state.messages[state.messages.length - 1] as AIMessage;
      const messages: ToolMessage[] = [];
      const notes: string[] = [];
      for (const call of last.tool_calls ?? []) {
        const outcome = runTool(call.name, call.args as Record<string, string>, state.notes.concat(notes));
        messages.push(new ToolMessage({ content: outcome.content, tool_call_id: call.id ?? "", name: call.name }));
        notes.push(...(outcome.notes ?? []));
      }
      return { messages, notes };
    })
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (state: AgentValues) => {
      const last = state.messages[state.messages.length - 1] as AIMessage;
      return last.tool_calls?.length ? APPROVAL_NODE : END;
    })
    .addEdge(APPROVAL_NODE, "agent")
    .compile({ checkpointer, interruptBefore: [APPROVAL_NODE] });
}

export type Agent = ReturnType<typeof buildAgent>;

/** What the user declined, as the tool's result: the graph then continues as if the tool had run. */
export function declined(call: { id?: string; name: string }): ToolMessage {
  return new ToolMessage({ content: "You declined this step.", tool_call_id: call.id ?? "", name: call.name, status: "error" });
}
