import type { StateSnapshot } from "@langchain/langgraph/web";
import type { StoredTurnEvents } from "idb-checkpoint";
import type { ThreadSummary } from "../session";
import type { ThreadUsage } from "../storage-usage";
import { describeArgs, formatBytes, formatTime, h } from "./dom";

/** The thread's checkpoints, newest first, each with "Fork from here". */
export function renderHistory(snapshots: StateSnapshot[], currentId: string | undefined, busy: boolean, fork: (checkpointId: string) => void): HTMLElement {
  const list = h("ol", { class: "history", testid: "history" });
  for (const snapshot of snapshots) {
    const id = String(snapshot.config.configurable?.checkpoint_id ?? "");
    const meta = (snapshot.metadata ?? {}) as { step?: number; source?: string };
    const messages = ((snapshot.values as { messages?: unknown[] })?.messages ?? []).length;
    const isCurrent = id === currentId;
    list.append(
      h("li", { class: `checkpoint${isCurrent ? " current" : ""}`, testid: "checkpoint", attrs: { "data-checkpoint-id": id, "data-messages": String(messages) } }, [
        h("div", { class: "cp-main" }, [
          h("span", { class: "cp-step", text: describeCheckpoint(snapshot) }),
          meta.source === "input" || meta.source === "update" ? h("span", { class: `cp-source ${meta.source}`, text: meta.source === "update" ? "fork" : "input" }) : null,
          h("span", { class: "cp-next", text: `step ${meta.step ?? "?"}` }),
        ]),
        h("div", { class: "cp-sub" }, [
          h("span", { text: `${messages} message${messages === 1 ? "" : "s"} · ${snapshot.createdAt ? formatTime(Date.parse(snapshot.createdAt)) : ""}` }),
          isCurrent
            ? h("span", { class: "cp-badge", text: "current" })
            : h("button", { class: "btn link", text: "Fork from here", testid: "fork", attrs: busy ? { disabled: "" } : {}, on: { click: () => fork(id) } }),
        ]),
      ]),
    );
  }
  if (snapshots.length === 0) list.append(h("li", { class: "empty", text: "No checkpoints yet: send a message." }));
  return list;
}

/** What a person would call this point of the conversation. */
function describeCheckpoint(snapshot: StateSnapshot): string {
  const messages = (snapshot.values as { messages?: Array<{ getType?: () => string; name?: string }> })?.messages ?? [];
  const last = messages[messages.length - 1];
  const next = snapshot.next[0];
  if (next === "__start__") return messages.length ? "Message received" : "Thread started";
  if (next === "tools") return "Waiting for approval";
  if (next === "agent") return last?.getType?.() === "tool" ? `Tool ${last.name ?? ""} ran` : "Message read";
  return messages.length ? "Agent replied" : "Empty thread";
}

/** Every stored turn of the thread with its events, as the EventStore returns them. */
export function renderTurns(turns: StoredTurnEvents[]): HTMLElement {
  const list = h("div", { class: "turns", testid: "turns" });
  for (const turn of [...turns].reverse()) {
    list.append(
      h("section", { class: "turn", testid: "turn" }, [
        h("header", {}, [
          h("span", { class: "turn-no", text: `Turn ${turn.turn + 1}` }),
          h("span", { class: "turn-count", text: `${turn.events.length} events` }),
          h("span", { class: `pill ${turn.finished ? "ok" : "open"}`, text: turn.finished ? "finished" : "open" }),
        ]),
        h(
          "ul",
          { class: "events" },
          turn.events.map((event) => h("li", { class: `event ${String(event.type)}` }, [h("span", { class: "event-type", text: String(event.type) }), h("span", { class: "event-text", text: describeEvent(event) })])),
        ),
      ]),
    );
  }
  if (turns.length === 0) list.append(h("p", { class: "empty", text: "No turns stored yet." }));
  return list;
}

function describeEvent(event: Record<string, unknown>): string {
  const { type: _type, at: _at, ...rest } = event;
  return Object.values(rest)
    .map((v) => (typeof v === "string" ? v : v && typeof v === "object" ? describeArgs(v as Record<string, unknown>) : String(v)))
    .join(" · ");
}

export interface StorageFigures {
  threads: ThreadSummary[];
  usage: Map<string, ThreadUsage>;
  estimate?: StorageEstimate;
  persisted?: boolean;
}

/** Bytes per thread, raw versus stored, and what the browser says the origin uses. */
export function renderStorage(figures: StorageFigures): HTMLElement {
  const rows = figures.threads.map((t) => {
    const u = figures.usage.get(t.id) ?? { rows: 0, raw: 0, stored: 0 };
    return h("tr", { testid: "usage-row", attrs: { "data-raw": String(u.raw), "data-stored": String(u.stored) } }, [
      h("td", { class: "name", text: t.title }),
      h("td", { class: "num", text: String(u.rows) }),
      h("td", { class: "num", text: formatBytes(u.raw) }),
      h("td", { class: "num", text: formatBytes(u.stored) }),
      h("td", { class: "num", text: u.raw ? `${Math.round((u.stored / u.raw) * 100)}%` : "–" }),
    ]);
  });
  const total = [...figures.usage.values()].reduce((t, u) => ({ raw: t.raw + u.raw, stored: t.stored + u.stored }), { raw: 0, stored: 0 });
  const est = figures.estimate;
  const quota = est?.quota ?? 0;
  const usage = est?.usage ?? 0;
  return h("div", { class: "storage", testid: "storage" }, [
    h("table", {}, [
      h("thead", {}, [h("tr", {}, ["Thread", "Rows", "Raw", "Stored", "Ratio"].map((c) => h("th", { text: c })))]),
      h("tbody", {}, rows.length ? rows : [h("tr", {}, [h("td", { text: "No threads.", attrs: { colspan: "5" } })])]),
      h("tfoot", {}, [
        h("tr", {}, [
          h("td", { text: "All threads", attrs: { colspan: "2" } }),
          h("td", { class: "num", text: formatBytes(total.raw) }),
          h("td", { class: "num", testid: "stored-total", text: formatBytes(total.stored) }),
          h("td", { class: "num", text: total.raw ? `${Math.round((total.stored / total.raw) * 100)}%` : "–" }),
        ]),
      ]),
    ]),
    h("p", { class: "hint", text: "Raw: the bytes the library was given (LangGraph's serialized checkpoints, titles, events). Stored: what IndexedDB keeps, compressed, with data shared between checkpoints kept once." }),
    h("div", { class: "estimate" }, [
      h("div", { class: "estimate-label" }, [h("span", { text: "This site in the browser" }), h("span", { testid: "estimate", text: est ? `${formatBytes(usage)} of ${formatBytes(quota)}` : "not available" })]),
      h("div", { class: "meter" }, [h("div", { class: "meter-fill", attrs: { style: `width: ${quota ? Math.max(1, Math.min(100, (usage / quota) * 100)) : 0}%` } })]),
      h("p", { class: "hint", text: figures.persisted ? "Storage is persistent: the browser will not evict it." : "Storage is best-effort: the browser may evict it under pressure." }),
    ]),
  ]);
}
