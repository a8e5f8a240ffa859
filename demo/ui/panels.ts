import type { StateSnapshot } from "@langchain/langgraph/web";
import type { ThreadSummary } from "../session";
import type { StoredTurnEvents, StoreUsage } from "idb-checkpoint";
import { describeArgs, formatBytes, formatTime, h } from "./dom";

/**
 * The thread's checkpoints, newest first, each with "Fork from here". The current branch is the
 * current checkpoint and its ancestors; every other checkpoint was left behind by a fork and is
 * marked so. A checkpoint made by "Fork from here" says which point it continues from.
 */
export function renderHistory(snapshots: StateSnapshot[], currentId: string | undefined, busy: boolean, fork: (checkpointId: string) => void): HTMLElement {
  const list = h("ol", { class: "history", testid: "history" });
  const idOf = (s: StateSnapshot | undefined) => String(s?.config.configurable?.checkpoint_id ?? "");
  const parentOf = (s: StateSnapshot) => (s.parentConfig?.configurable?.checkpoint_id as string | undefined) ?? undefined;
  const byId = new Map(snapshots.map((s) => [idOf(s), s]));
  const onBranch = new Set<string>();
  for (let s = currentId ? byId.get(currentId) : undefined; s && !onBranch.has(idOf(s)); s = byId.get(parentOf(s) ?? "")) onBranch.add(idOf(s));
  snapshots.forEach((snapshot, i) => {
    const id = idOf(snapshot);
    const messages = ((snapshot.values as { messages?: unknown[] })?.messages ?? []).length;
    const isCurrent = id === currentId;
    const parent = parentOf(snapshot);
    // Newest first: the checkpoint made just before this one is the next in the list. A parent
    // that is not that one means this checkpoint starts a new branch.
    const forkedFrom = parent !== undefined && parent !== idOf(snapshots[i + 1]) ? byId.get(parent) : undefined;
    const abandoned = !onBranch.has(id);
    const label = describeCheckpoint(snapshot);
    if (abandoned && (i === 0 || onBranch.has(idOf(snapshots[i - 1])))) {
      list.append(h("li", { class: "branch-divider", testid: "abandoned-divider", text: "Left behind by a fork: not part of the conversation now" }));
    }
    list.append(
      h(
        "li",
        {
          class: `checkpoint${isCurrent ? " current" : ""}${abandoned ? " abandoned" : ""}`,
          testid: "checkpoint",
          attrs: { "data-checkpoint-id": id, "data-messages": String(messages), "data-branch": abandoned ? "abandoned" : "current" },
        },
        [
          h("div", { class: "cp-main" }, [
            h("span", { class: "cp-step", testid: "checkpoint-label", text: label.text }),
            label.tag ? h("span", { class: `cp-source ${label.tag}`, text: label.tag }) : null,
            forkedFrom ? h("span", { class: "cp-source fork", testid: "fork-mark", text: "fork" }) : null,
            abandoned ? h("span", { class: "cp-source branch", text: "other branch" }) : null,
          ]),
          forkedFrom ? h("div", { class: "cp-from", text: `Continues from “${describeCheckpoint(forkedFrom).text}” of ${formatTime(Date.parse(forkedFrom.createdAt ?? ""))}` }) : null,
          h("div", { class: "cp-sub" }, [
            h("span", { text: `${messages} message${messages === 1 ? "" : "s"} · ${snapshot.createdAt ? formatTime(Date.parse(snapshot.createdAt)) : ""}` }),
            isCurrent
              ? h("span", { class: "cp-badge", text: "current" })
              : h("button", { class: "btn link", text: "Fork from here", testid: "fork", attrs: busy ? { disabled: "" } : {}, on: { click: () => fork(id) } }),
          ]),
        ],
      ),
    );
  });
  if (snapshots.length === 0) list.append(h("li", { class: "empty", text: "No checkpoints yet: send a message." }));
  return list;
}

interface MessageLike {
  getType?: () => string;
  name?: string;
  status?: string;
}

/** What a person would call this point of the conversation, and a tag for where it came from. */
function describeCheckpoint(snapshot: StateSnapshot): { text: string; tag?: "input" | "declined" } {
  const messages = (snapshot.values as { messages?: MessageLike[] })?.messages ?? [];
  const last = messages[messages.length - 1];
  const next = snapshot.next[0];
  if (next === "__start__") return messages.length ? { text: "Message received", tag: "input" } : { text: "Thread started" };
  if (next === "tools") return { text: "Waiting for approval" };
  if (next === "agent") {
    if (last?.getType?.() !== "tool") return { text: "Message read" };
    if (last.status === "error") return { text: `You declined ${last.name ?? "the tool"}`, tag: "declined" };
    return { text: `Tool ${last.name ?? ""} ran` };
  }
  return messages.length ? { text: "Agent replied" } : { text: "Empty thread" };
}

/** Every stored turn of the thread with its events, as the EventStore returns them. */
export function renderTurns(turns: StoredTurnEvents[], toolRuns?: number): HTMLElement {
  const list = h("div", { class: "turns", testid: "turns" });
  if (toolRuns !== undefined) list.append(h("p", { class: "hint ledger", testid: "tool-runs", text: `Tools run in this browser, all tabs and conversations: ${toolRuns}` }));
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
  /** From the library: store.usage(). */
  usage: StoreUsage;
  persisted?: boolean;
}

const percent = (part: number, whole: number) => (whole ? `${Math.round((part / whole) * 100)}%` : "–");

/** Bytes per thread, raw versus stored, and what the browser says the origin uses. */
export function renderStorage(figures: StorageFigures): HTMLElement {
  const byId = new Map(figures.usage.threads.map((u) => [u.threadId, u]));
  const rows = figures.threads.map((t) => {
    const u = byId.get(t.id) ?? { threadId: t.id, rows: 0, raw: 0, stored: 0 };
    return h("tr", { testid: "usage-row", attrs: { "data-raw": String(u.raw), "data-stored": String(u.stored), "data-rows": String(u.rows) } }, [
      h("td", { class: "name", text: t.title, title: `${t.title}: ${u.rows} rows` }),
      h("td", { class: "num", text: formatBytes(u.raw) }),
      h("td", { class: "num", text: formatBytes(u.stored) }),
      h("td", { class: "num", text: percent(u.stored, u.raw) }),
    ]);
  });
  const total = figures.usage.total;
  const est = figures.usage.estimate;
  const quota = est?.quota ?? 0;
  const usage = est?.usage ?? 0;
  return h("div", { class: "storage", testid: "storage" }, [
    h("table", {}, [
      h("colgroup", {}, [h("col", {}), h("col", { class: "c-num" }), h("col", { class: "c-num" }), h("col", { class: "c-ratio" })]),
      h("thead", {}, [h("tr", {}, ["Thread", "Raw", "Stored", "Ratio"].map((c) => h("th", { text: c })))]),
      h("tbody", {}, rows.length ? rows : [h("tr", {}, [h("td", { text: "No threads.", attrs: { colspan: "4" } })])]),
      h("tfoot", {}, [
        h("tr", {}, [
          h("td", { text: "Whole store", title: `${total.rows} rows` }),
          h("td", { class: "num", text: formatBytes(total.raw) }),
          h("td", { class: "num", testid: "stored-total", text: formatBytes(total.stored) }),
          h("td", { class: "num", text: percent(total.stored, total.raw) }),
        ]),
      ]),
    ]),
    h("p", { class: "hint", text: "Raw: the bytes the library was given (LangGraph's serialized checkpoints, titles, events). Stored: what IndexedDB keeps, compressed, with data shared between checkpoints kept once. Figures from store.usage()." }),
    h("div", { class: "estimate" }, [
      h("div", { class: "estimate-label" }, [h("span", { text: "This site in the browser" }), h("span", { testid: "estimate", text: est ? `${formatBytes(usage)} of ${formatBytes(quota)}` : "not reported by this browser" })]),
      h("div", { class: "meter" }, [h("div", { class: "meter-fill", attrs: { style: `width: ${quota ? Math.max(1, Math.min(100, (usage / quota) * 100)) : 0}%` } })]),
      h("p", { class: "hint", text: figures.persisted ? "Storage is persistent: the browser will not evict it." : "Storage is best-effort: the browser may evict it under pressure." }),
    ]),
  ]);
}
