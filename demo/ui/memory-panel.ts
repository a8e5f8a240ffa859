import { h } from "./dom";

/** The storage panel's list of notes in long-term memory (IndexedDBStore), shared by every thread. */
export function renderMemory(notes: Array<{ key: string; text: string; threadId?: string; at: number }>, titleOf: (threadId?: string) => string): HTMLElement {
  return h("div", { class: "memory", testid: "memory" }, [
    h("h3", { text: `Long-term memory: ${notes.length} note${notes.length === 1 ? "" : "s"}` }),
    notes.length
      ? h(
          "ul",
          {},
          notes.map((n) => h("li", { testid: "memory-note", text: `${n.text} (from ${titleOf(n.threadId)})` })),
        )
      : h("p", { class: "empty", text: 'No notes yet: start a message with "remember".' }),
    h("p", { class: "hint", text: "Kept by IndexedDBStore, LangGraph's long-term memory: any conversation finds them." }),
  ]);
}
