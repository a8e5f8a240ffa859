import type { ThreadSummary } from "../session";
import { formatDay, h } from "./dom";

export interface SidebarActions {
  create(): void;
  select(id: string): void;
  rename(id: string, title: string): void;
  remove(id: string): void;
}

/** The thread list: new, select, rename in place, delete after a second click. */
export function renderSidebar(threads: ThreadSummary[], selected: string | undefined, actions: SidebarActions): HTMLElement[] {
  const list = h("ul", { class: "thread-list", testid: "thread-list" });
  for (const thread of threads) list.append(renderThread(thread, thread.id === selected, actions));
  if (threads.length === 0) list.append(h("li", { class: "empty", text: "No conversations yet." }));
  return [
    h("div", { class: "sidebar-head" }, [
      h("span", { class: "section-title", text: "Conversations" }),
      h("button", { class: "btn primary small", text: "+ New", testid: "new-thread", on: { click: () => actions.create() } }),
    ]),
    list,
  ];
}

function renderThread(thread: ThreadSummary, active: boolean, actions: SidebarActions): HTMLElement {
  const item = h("li", { class: `thread${active ? " active" : ""}`, testid: "thread", attrs: { "data-thread-id": thread.id } });
  const title = h("button", { class: "thread-title", testid: "thread-title", on: { click: () => actions.select(thread.id) } }, [
    h("span", { class: "name", text: thread.title }),
    h("span", { class: "when", text: formatDay(thread.updatedAt) }),
  ]);
  const rename = h("button", { class: "icon", text: "✎", title: "Rename", testid: "rename-thread", attrs: { "aria-label": "Rename" } });
  const remove = h("button", { class: "icon danger", text: "✕", title: "Delete", testid: "delete-thread", attrs: { "aria-label": "Delete" } });
  rename.addEventListener("click", () => {
    const input = h("input", { class: "rename-input", testid: "rename-input", attrs: { value: thread.title, "aria-label": "Title" } });
    const done = (save: boolean) => {
      const value = input.value.trim();
      if (save && value && value !== thread.title) actions.rename(thread.id, value);
      else item.replaceWith(renderThread(thread, active, actions));
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") done(true);
      if (e.key === "Escape") done(false);
    });
    input.addEventListener("blur", () => done(true));
    item.replaceChildren(input);
    input.focus();
    input.select();
  });
  // A second click within a few seconds deletes: a slip of the mouse must not lose a conversation.
  remove.addEventListener("click", () => {
    if (remove.dataset.armed) return actions.remove(thread.id);
    remove.dataset.armed = "1";
    remove.textContent = "Delete?";
    remove.classList.add("armed");
    setTimeout(() => {
      delete remove.dataset.armed;
      remove.textContent = "✕";
      remove.classList.remove("armed");
    }, 4000);
  });
  item.append(title, h("div", { class: "thread-actions" }, [rename, remove]));
  return item;
}
