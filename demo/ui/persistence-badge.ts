import { requestPersistence, type Persistence } from "idb-checkpoint";

/**
 * The topbar badge that says whether the browser will keep the demo's data: it reports on load
 * without asking, and asks when clicked (Firefox shows a permission prompt, so only on a click).
 */
const LABELS: Record<Persistence["state"], string> = {
  persisted: "✓ Data kept",
  "best-effort": "Data may be evicted · keep it",
  unsupported: "Data may be evicted",
};

function show(badge: HTMLButtonElement, p: Persistence): void {
  badge.textContent = LABELS[p.state];
  badge.title = p.reason;
  badge.dataset.state = p.state;
  badge.classList.toggle("ok", p.persisted);
  badge.classList.toggle("warn", !p.persisted);
  // Nothing to ask for when already kept, or where the browser has no way to ask.
  badge.disabled = p.state !== "best-effort";
}

export function mountPersistenceBadge(badge: HTMLButtonElement): void {
  badge.addEventListener("click", () => void requestPersistence().then((p) => show(badge, p), console.warn));
  void requestPersistence({ ask: false }).then((p) => show(badge, p), console.warn);
}
