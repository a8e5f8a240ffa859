import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";

/**
 * The demo's "model": a few deterministic rules instead of an LLM, so the demo needs no network
 * and no API key, and every run of it (and of its tests) takes the same path. It answers a user
 * message with exactly one tool call, and a tool result with a sentence about that result.
 */

export type ToolName = "calculator" | "save_note" | "search_notes";

export interface ToolCall {
  id: string;
  name: ToolName;
  args: Record<string, string>;
}

const ARITHMETIC = /-?\d+(?:\.\d+)?(?:\s*[-+*/x×]\s*\(?\s*-?\d+(?:\.\d+)?\s*\)?)+/;

/** Which tool a user message asks for, with its arguments. */
export function chooseTool(text: string, callId: string): ToolCall {
  const math = ARITHMETIC.exec(text);
  if (math) return { id: callId, name: "calculator", args: { expression: math[0].replace(/[x×]/g, "*").trim() } };
  const remember = /^\s*(?:remember|note)(?:\s+that)?[:\s]+(.+)$/is.exec(text);
  if (remember) return { id: callId, name: "save_note", args: { text: remember[1].trim() } };
  return { id: callId, name: "search_notes", args: { query: text.trim() } };
}

/** The model step: a tool call for a new user message, an answer after a tool result. */
export function respond(messages: BaseMessage[], callId: string): AIMessage {
  const last = messages[messages.length - 1];
  if (last instanceof ToolMessage || last?.getType() === "tool") {
    return new AIMessage({ content: answerFor(last as ToolMessage) });
  }
  if (last instanceof HumanMessage || last?.getType() === "human") {
    const call = chooseTool(String(last.content), callId);
    return new AIMessage({ content: introFor(call), tool_calls: [{ ...call, type: "tool_call" }] });
  }
  return new AIMessage({ content: "Say something and I will pick a tool for it." });
}

function introFor(call: ToolCall): string {
  switch (call.name) {
    case "calculator":
      return `I can work that out with the calculator: ${call.args.expression}.`;
    case "save_note":
      return "I'll keep that in your notes.";
    case "search_notes":
      return "Let me look through your notes.";
  }
}

function answerFor(result: ToolMessage): string {
  const content = String(result.content);
  if (result.status === "error") return `Understood, I did not run ${result.name ?? "the tool"}. ${content}`;
  switch (result.name) {
    case "calculator":
      return `The answer is ${content}.`;
    case "save_note":
      return `Saved. ${content}`;
    default:
      return content;
  }
}
