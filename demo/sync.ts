import { createSync, type SyncState } from "idb-checkpoint/sync";
import { IndexedDBSaver } from "idb-checkpoint/langgraph";
import type { Session } from "./session";

/**
 * Optional sync with the demo's sync server (`npm run demo:sync-server`): on only when the page
 * is opened with `?sync=<url>` or built with VITE_SYNC_URL. Without it nothing here runs and
 * the demo stays fully offline. Conversations sync; their titles (kept in `store.threads` on
 * each device) are made on arrival from the first message.
 */
const LABELS: Record<SyncState, string> = {
  idle: "Sync: starting",
  syncing: "Sync: syncing…",
  synced: "✓ Synced",
  pending: "Sync: changes waiting",
  offline: "Sync: offline, will retry",
  refused: "Sync: refused by the server",
};

export function syncUrl(): string | undefined {
  return new URLSearchParams(location.search).get("sync") ?? (import.meta.env.VITE_SYNC_URL as string | undefined) ?? undefined;
}

export function startDemoSync(session: Session, header: HTMLElement, redraw: () => Promise<void>): void {
  const url = syncUrl();
  if (!url) return;
  const badge = Object.assign(document.createElement("span"), { className: "badge muted", id: "sync-status" });
  badge.dataset.testid = "sync-status";
  header.append(badge);
  const sync = createSync({ store: session.store, url, headers: () => ({ authorization: "Bearer demo" }), intervalMs: 3_000 });
  const saver = new IndexedDBSaver(session.store);
  const show = (state: SyncState, error?: Error) => {
    badge.textContent = LABELS[state];
    badge.dataset.state = state;
    badge.title = error?.message ?? url;
    badge.classList.toggle("ok", state === "synced");
    badge.classList.toggle("warn", state === "offline" || state === "refused");
  };
  show("idle");
  sync.addEventListener("state", (e) => {
    const { state, error } = (e as CustomEvent<{ state: SyncState; error?: Error }>).detail;
    show(state, error);
  });
  sync.addEventListener("change", (e) => {
    void (async () => {
      for (const id of (e as CustomEvent<{ threads: string[] }>).detail.threads) await adopt(session, saver, id);
      await redraw();
    })();
  });
  // A save on this device shows as "changes waiting" until the next cycle sends it.
  const channel = new BroadcastChannel(`${session.store.name}:changes`);
  channel.onmessage = () => void sync.syncNow().catch(() => {});
  void session.store.sync.enable().then(() => sync.start());
}

/** A thread that arrived gets a title; one deleted elsewhere leaves the list. */
async function adopt(session: Session, saver: IndexedDBSaver, id: string): Promise<void> {
  const latest = await saver.getTuple({ configurable: { thread_id: id } });
  const titled = (await session.store.threads.count(id)) > 0;
  if (!latest) {
    if (titled) {
      await session.store.events.clear(id);
      await session.store.threads.deleteThread(id);
    }
    return;
  }
  if (titled) return;
  const first = (latest.checkpoint.channel_values.messages as Array<{ content?: unknown }> | undefined)?.[0]?.content;
  const title = typeof first === "string" && first.trim() ? first.trim().slice(0, 40) : "Synced conversation";
  await session.store.threads.save(id, { title, updatedAt: Date.now() }, new TextEncoder().encode(title));
}
