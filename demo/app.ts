import { Session, type ThreadSummary, type ThreadView } from "./session";
import { renderChat } from "./ui/chat";
import { h, replaceChildren } from "./ui/dom";
import { renderHistory, renderStorage, renderTurns } from "./ui/panels";
import { renderSidebar } from "./ui/sidebar";
import { renderMemory } from "./ui/memory-panel";
import { toolRuns } from "./tools";

export type Tab = "history" | "events" | "storage";

/** While another tab runs the selected thread, how often to look whether it has finished. */
const ELSEWHERE_POLL_MS = 250;

/**
 * The page: reads everything from the store on each render and writes through the Session. It
 * redraws when the library announces a committed change (store.subscribe), made here or in
 * another tab: the notice carries no data, IndexedDB stays the only truth.
 */
export class App {
  private threads: ThreadSummary[] = [];
  private selected: string | undefined;
  private view: ThreadView | undefined;
  private busy = false;
  /** Another tab holds the selected thread's lock. */
  private elsewhere = false;
  private tab: Tab = "history";
  private refreshing: Promise<void> = Promise.resolve();
  /** A redraw is queued and has not started: later requests join it. */
  private queued = false;
  private poll: ReturnType<typeof setTimeout> | undefined;
  /** Scroll the history to the current checkpoint on the next draw (after a fork). */
  private revealCurrent = false;
  readonly stop: () => void;

  constructor(
    private readonly session: Session,
    private readonly root: { sidebar: HTMLElement; chat: HTMLElement; title: HTMLElement; subtitle: HTMLElement; panel: HTMLElement; tabs: HTMLElement },
    private readonly reportError: (error: unknown) => void,
  ) {
    // This tab's own changes are drawn when its action ends; another tab's as they commit.
    this.stop = session.store.subscribe((change) => {
      if (!change.local) void this.refresh();
    });
    this.selected = location.hash.slice(1) || undefined;
    window.addEventListener("hashchange", () => this.select(location.hash.slice(1) || undefined));
  }

  /** Re-reads the store and redraws; calls are chained so two redraws never interleave, and coalesced. */
  refresh(): Promise<void> {
    if (this.queued) return this.refreshing;
    this.queued = true;
    this.refreshing = this.refreshing
      .then(() => {
        this.queued = false;
        return this.draw();
      })
      .catch(this.reportError);
    return this.refreshing;
  }

  private async draw(): Promise<void> {
    this.threads = await this.session.listThreads();
    if (this.selected && !this.threads.some((t) => t.id === this.selected)) this.selected = undefined;
    this.selected ??= this.threads[0]?.id;
    const id = this.selected;
    [this.view, this.elsewhere] = id ? await Promise.all([this.session.view(id), this.busy ? false : this.session.isRunning(id)]) : [undefined, false];
    replaceChildren(this.root.sidebar, renderSidebar(this.threads, this.selected, this));
    const thread = this.threads.find((t) => t.id === this.selected);
    this.root.title.textContent = thread?.title ?? "No conversation";
    this.root.subtitle.textContent = this.view ? describeThread(this.view) : "";
    if (thread && this.view) keepDraft(this.root.chat, () => replaceChildren(this.root.chat, renderChat(this.view!, { busy: this.busy, elsewhere: this.elsewhere }, this.chatActions(thread.id, this.view!))));
    else replaceChildren(this.root.chat, [renderEmpty(() => this.create())]);
    await this.drawPanel();
    // The other tab's last write can land before it lets go of the thread: look again shortly.
    clearTimeout(this.poll);
    if (this.elsewhere) this.poll = setTimeout(() => void this.refresh(), ELSEWHERE_POLL_MS);
  }

  private async drawPanel(): Promise<void> {
    for (const button of this.root.tabs.querySelectorAll("button")) button.classList.toggle("active", button.dataset.tab === this.tab);
    const id = this.selected;
    if (this.tab === "storage") {
      const [usage, persisted, notes] = await Promise.all([
        this.session.store.usage({ threadIds: this.threads.map((t) => t.id) }),
        navigator.storage?.persisted?.().catch(() => false),
        this.session.notes(),
      ]);
      const titleOf = (id?: string) => this.threads.find((t) => t.id === id)?.title ?? "a deleted conversation";
      replaceChildren(this.root.panel, [renderStorage({ threads: this.threads, usage, persisted }), renderMemory(notes, titleOf)]);
    } else if (!id) {
      replaceChildren(this.root.panel, [h("p", { class: "empty", text: "Select a conversation." })]);
    } else if (this.tab === "history") {
      const snapshots = await this.session.history(id);
      const scroll = this.root.panel.scrollTop;
      replaceChildren(this.root.panel, [renderHistory(snapshots, this.view?.checkpointId, this.busy || this.elsewhere, (cp) => this.fork(id, cp))]);
      this.root.panel.scrollTop = scroll;
      if (this.revealCurrent) {
        this.revealCurrent = false;
        this.root.panel.querySelector(".checkpoint.current")?.scrollIntoView({ block: "nearest" });
      }
    } else {
      replaceChildren(this.root.panel, [renderTurns(await this.session.turns(id), toolRuns())]);
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

  private fork(id: string, checkpointId: string): void {
    void this.act(async () => {
      await this.session.fork(id, checkpointId, this.waiting);
      this.revealCurrent = true;
    });
  }

  /** Shown when the thread's lock is held by another tab: that tab's run finishes first. */
  private readonly waiting = () => {
    this.elsewhere = true;
    void this.refresh();
  };

  private chatActions(id: string, view: ThreadView) {
    // The checkpoint the user looked at: if the thread moved on before the click is handled
    // (another tab approved), the click does nothing and the page shows what happened.
    const at = view.checkpointId;
    return {
      send: (text: string) => void this.act(() => this.session.send(id, text, this.waiting)),
      approve: () => void this.act(() => this.session.approve(id, at, this.waiting)),
      decline: () => void this.act(() => this.session.decline(id, at, this.waiting)),
    };
  }

  /** Runs a change with the UI marked busy, then redraws (other tabs redraw on the store's notice). */
  private async act(change: () => Promise<unknown>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    await this.refresh();
    try {
      await change();
    } catch (e) {
      this.reportError(e);
    } finally {
      this.busy = false;
      this.elsewhere = false;
      await this.refresh();
    }
  }
}

/** Redraws without losing what the user is typing: the composer is rebuilt on every draw. */
function keepDraft(chat: HTMLElement, redraw: () => void): void {
  const before = chat.querySelector<HTMLTextAreaElement>("[data-testid=composer]");
  const draft = before?.value ?? "";
  const focused = before !== null && document.activeElement === before;
  redraw();
  const after = chat.querySelector<HTMLTextAreaElement>("[data-testid=composer]");
  if (after && draft && !after.disabled) after.value = draft;
  if (after && focused && !after.disabled) after.focus();
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
