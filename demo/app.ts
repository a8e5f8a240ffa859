import { Session, type ThreadSummary, type ThreadView } from "./session";
import { measureThreads } from "./storage-usage";
import { renderChat } from "./ui/chat";
import { h, replaceChildren } from "./ui/dom";
import { renderHistory, renderStorage, renderTurns } from "./ui/panels";
import { renderSidebar } from "./ui/sidebar";
import { renderMemory } from "./ui/memory-panel";

type Tab = "history" | "events" | "storage";

/**
 * The page: reads everything from the store on each render, writes through the Session, and
 * tells other tabs "something changed" over a BroadcastChannel. The message carries no data:
 * the other tab reads IndexedDB, which stays the only truth.
 */
export class App {
  private threads: ThreadSummary[] = [];
  private selected: string | undefined;
  private view: ThreadView | undefined;
  private busy = false;
  private tab: Tab = "history";
  private readonly channel: BroadcastChannel;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: Session,
    private readonly root: { sidebar: HTMLElement; chat: HTMLElement; title: HTMLElement; subtitle: HTMLElement; panel: HTMLElement; tabs: HTMLElement },
    private readonly reportError: (error: unknown) => void,
  ) {
    this.channel = new BroadcastChannel(`${session.store.name}:changes`);
    this.channel.onmessage = () => void this.refresh();
    this.selected = location.hash.slice(1) || undefined;
    window.addEventListener("hashchange", () => this.select(location.hash.slice(1) || undefined));
  }

  /** Re-reads the store and redraws; calls are chained so two refreshes never interleave. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.draw()).catch(this.reportError);
    return this.refreshing;
  }

  private async draw(): Promise<void> {
    this.threads = await this.session.listThreads();
    if (this.selected && !this.threads.some((t) => t.id === this.selected)) this.selected = undefined;
    this.selected ??= this.threads[0]?.id;
    this.view = this.selected ? await this.session.view(this.selected) : undefined;
    replaceChildren(this.root.sidebar, renderSidebar(this.threads, this.selected, this));
    const thread = this.threads.find((t) => t.id === this.selected);
    this.root.title.textContent = thread?.title ?? "No conversation";
    this.root.subtitle.textContent = this.view ? describeThread(this.view) : "";
    if (thread && this.view) replaceChildren(this.root.chat, renderChat(this.view, this.busy, this.chatActions(thread.id)));
    else replaceChildren(this.root.chat, [renderEmpty(() => this.create())]);
    await this.drawPanel();
  }

  private async drawPanel(): Promise<void> {
    for (const button of this.root.tabs.querySelectorAll("button")) button.classList.toggle("active", button.dataset.tab === this.tab);
    const id = this.selected;
    if (this.tab === "storage") {
      const [usage, estimate, persisted, notes] = await Promise.all([
        measureThreads(this.session.store.name, this.threads.map((t) => t.id)),
        navigator.storage?.estimate?.().catch(() => undefined),
        navigator.storage?.persisted?.().catch(() => false),
        this.session.notes(),
      ]);
      const titleOf = (id?: string) => this.threads.find((t) => t.id === id)?.title ?? "a deleted conversation";
      replaceChildren(this.root.panel, [renderStorage({ threads: this.threads, usage, estimate, persisted }), renderMemory(notes, titleOf)]);
    } else if (!id) {
      replaceChildren(this.root.panel, [h("p", { class: "empty", text: "Select a conversation." })]);
    } else if (this.tab === "history") {
      const snapshots = await this.session.history(id);
      replaceChildren(this.root.panel, [renderHistory(snapshots, this.view?.checkpointId, this.busy, (cp) => this.act(() => this.session.fork(id, cp)))]);
    } else {
      replaceChildren(this.root.panel, [renderTurns(await this.session.turns(id))]);
    }
  }

  showTab(tab: Tab): void {
    this.tab = tab;
    void this.refresh();
  }

  select(id: string | undefined): void {
    if (id === this.selected) return;
    this.selected = id;
    if (id && location.hash.slice(1) !== id) history.replaceState(null, "", `#${id}`);
    void this.refresh();
  }

  create(): void {
    void this.act(async () => {
      const id = await this.session.createThread(`Conversation ${this.threads.length + 1}`);
      this.select(id);
    });
  }

  rename(id: string, title: string): void {
    void this.act(() => this.session.renameThread(id, title));
  }

  remove(id: string): void {
    void this.act(async () => {
      await this.session.deleteThread(id);
      if (this.selected === id) {
        this.selected = undefined;
        history.replaceState(null, "", location.pathname);
      }
    });
  }

  private chatActions(id: string) {
    return {
      send: (text: string) => void this.act(() => this.session.send(id, text)),
      approve: () => void this.act(() => this.session.approve(id)),
      decline: () => void this.act(() => this.session.decline(id)),
    };
  }

  /** Runs a change with the UI marked busy, then redraws here and in every other tab. */
  private async act(change: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    await this.refresh();
    try {
      await change();
    } catch (e) {
      this.reportError(e);
    } finally {
      this.busy = false;
      this.channel.postMessage("changed");
      await this.refresh();
    }
  }
}

function describeThread(view: ThreadView): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const parts = [plural(view.messages.length, "message"), plural(view.notes.length, "note")];
  if (view.pending) parts.push("waiting for your approval");
  return parts.join(" · ");
}

function renderEmpty(create: () => void): HTMLElement {
  return h("div", { class: "welcome centered" }, [
    h("h2", { text: "Conversations that survive a reload" }),
    h("p", { text: "Start one, close the tab, come back offline: every message, approval and checkpoint is still here." }),
    h("button", { class: "btn primary", text: "Start a conversation", testid: "start", on: { click: create } }),
  ]);
}
