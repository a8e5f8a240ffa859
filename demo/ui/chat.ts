import type { AIMessage, BaseMessage, ToolMessage } from "@langchain/core/messages";
import type { PendingCall, ThreadView } from "../session";
import { describeArgs, h } from "./dom";

export interface ChatActions {
  send(text: string): void;
  approve(): void;
  decline(): void;
}

export const SUGGESTIONS = ["What is 12 * (7 + 5)?", "Remember that the launch is on Friday", "What do my notes say about the launch?"];

/** What the page is doing with the thread: running it here, or waiting while another tab does. */
export interface ChatState {
  busy: boolean;
  /** Another tab holds the thread's lock and runs it. */
  elsewhere: boolean;
}

/**
 * The conversation of one thread, then (outside the scrolling log, so it is always in view) the
 * pending approval if any, and the composer.
 */
export function renderChat(view: ThreadView, state: ChatState, actions: ChatActions): HTMLElement[] {
  const busy = state.busy || state.elsewhere;
  const log = h("div", { class: "messages", testid: "messages", attrs: { role: "log", "aria-live": "polite" } });
  if (view.messages.length === 0) log.append(renderWelcome(actions));
  for (const message of view.messages) log.append(renderMessage(message));
  if (state.busy) log.append(h("div", { class: "typing", text: "Agent is working…" }));
  if (state.elsewhere) log.append(h("div", { class: "typing", testid: "running-elsewhere", text: "Another tab is running this conversation…" }));
  queueMicrotask(() => (log.scrollTop = log.scrollHeight));
  return [log, view.pending ? renderApproval(view.pending, busy, actions) : null, renderComposer(view, busy, actions)].filter((e): e is HTMLElement => e !== null);
}

function renderWelcome(actions: ChatActions): HTMLElement {
  return h("div", { class: "welcome" }, [
    h("h2", { text: "Ask the local agent" }),
    h("p", { text: "It runs entirely in this tab: no server, no API key. Every tool run waits for your approval, and every step is saved in IndexedDB." }),
    h("div", { class: "suggestions" }, SUGGESTIONS.map((s) => h("button", { class: "chip", text: s, on: { click: () => actions.send(s) } }))),
  ]);
}

function renderMessage(message: BaseMessage): HTMLElement {
  const type = message.getType();
  if (type === "human") return h("div", { class: "msg user", testid: "msg-user" }, [h("div", { class: "bubble", text: String(message.content) })]);
  if (type === "tool") {
    const tool = message as ToolMessage;
    const failed = tool.status === "error";
    return h("div", { class: `tool-result${failed ? " declined" : ""}`, testid: "tool-result" }, [
      h("span", { class: "tool-name", text: tool.name ?? "tool" }),
      h("span", { text: failed ? "declined" : "returned" }),
      h("code", { text: String(tool.content) }),
    ]);
  }
  const ai = message as AIMessage;
  return h("div", { class: "msg agent", testid: "msg-agent" }, [
    h("div", { class: "avatar", text: "A", attrs: { "aria-hidden": "true" } }),
    h("div", { class: "bubble" }, [
      h("div", { testid: "agent-text", text: String(ai.content) }),
      ...(ai.tool_calls ?? []).map((call) => h("div", { class: "tool-call" }, [h("span", { class: "tool-name", text: call.name }), h("code", { text: describeArgs(call.args) })])),
    ]),
  ]);
}

function renderApproval(call: PendingCall, busy: boolean, actions: ChatActions): HTMLElement {
  return h("div", { class: "approval", testid: "approval" }, [
    h("div", { class: "approval-text" }, [
      h("strong", { text: "Approval needed" }),
      h("span", { text: "The agent wants to run " }),
      h("span", { class: "tool-name", text: call.name }),
      h("code", { text: describeArgs(call.args) }),
    ]),
    h("div", { class: "approval-actions" }, [
      h("button", { class: "btn ghost", text: "Decline", testid: "decline", attrs: busy ? { disabled: "" } : {}, on: { click: () => actions.decline() } }),
      h("button", { class: "btn primary", text: "Approve", testid: "approve", attrs: busy ? { disabled: "" } : {}, on: { click: () => actions.approve() } }),
    ]),
  ]);
}

function renderComposer(view: ThreadView, busy: boolean, actions: ChatActions): HTMLElement {
  const blocked = busy || !!view.pending;
  const input = h("textarea", {
    class: "composer-input",
    testid: "composer",
    attrs: { rows: "1", placeholder: view.pending ? "Approve or decline the pending step first" : "Message the agent…  (try “remember …” or “3 * 14”)", "aria-label": "Message" },
  });
  input.disabled = blocked;
  const submit = (event: Event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || blocked) return;
    input.value = "";
    actions.send(text);
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) submit(event);
  });
  return h("form", { class: "composer", on: { submit } }, [input, h("button", { class: "btn primary", text: "Send", testid: "send", attrs: blocked ? { type: "submit", disabled: "" } : { type: "submit" } })]);
}
