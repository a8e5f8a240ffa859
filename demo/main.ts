import { App, type Tab } from "./app";
import { describeClose, describeFailure } from "./errors";
import { Session } from "./session";
import { mountPersistenceBadge } from "./ui/persistence-badge";
import { startDemoSync } from "./sync";

/** The demo's database. One per origin; every tab of the demo shares it. */
const DB_NAME = "idb-checkpoint-demo";

const $ = (id: string) => document.getElementById(id)!;

/** Storage failures are shown, never swallowed: a blank page would hide that nothing is saved. */
function reportError(error: unknown): void {
  showBanner(describeFailure(error));
  console.error(error);
}

function showBanner(text: string): void {
  $("banner-text").textContent = text;
  $("banner").hidden = false;
}

$("banner-close").addEventListener("click", () => ($("banner").hidden = true));

function showNetwork(): void {
  const online = navigator.onLine;
  $("network").textContent = online ? "Online" : "Offline: running from this device";
  $("network").classList.toggle("warn", !online);
}
window.addEventListener("online", showNetwork);
window.addEventListener("offline", showNetwork);
showNetwork();
mountPersistenceBadge($("persistence") as HTMLButtonElement);

/** In the built app a service worker caches every file, so the demo loads with the network off. */
async function enableOffline(): Promise<void> {
  const badge = $("offline-badge");
  badge.hidden = false;
  const script = document.querySelector<HTMLMetaElement>('meta[name="service-worker"]')?.content;
  if (!script || !("serviceWorker" in navigator)) {
    badge.textContent = "Works offline (in the built app)";
    badge.title = "Offline support comes from the service worker of the built app: npm run build in demo, then preview.";
    return;
  }
  badge.textContent = "Preparing offline use…";
  await navigator.serviceWorker.register(script);
  await navigator.serviceWorker.ready;
  badge.textContent = "✓ Works offline";
  badge.title = "Every file of this app is cached; it loads and runs with the network off.";
  badge.classList.add("ok");
}

async function start(): Promise<void> {
  enableOffline().catch((e) => {
    $("offline-badge").textContent = "Offline cache unavailable";
    $("offline-badge").hidden = false;
    console.warn(e);
  });
  let session: Session;
  try {
    session = await Session.open(DB_NAME, (reason) => showBanner(describeClose(reason)));
  } catch (e) {
    reportError(e);
    $("chat").replaceChildren(Object.assign(document.createElement("p"), { className: "welcome centered", textContent: "Storage is unavailable in this browser, so conversations cannot be kept." }));
    $("chat-title").textContent = "Storage unavailable";
    return;
  }
  const app = new App(session, { sidebar: $("sidebar"), chat: $("chat"), title: $("chat-title"), subtitle: $("chat-sub"), panel: $("panel"), tabs: $("tabs") }, reportError);
  for (const button of $("tabs").querySelectorAll<HTMLButtonElement>("button")) {
    button.addEventListener("click", () => app.showTab(button.dataset.tab as Tab));
  }
  await app.refresh();
  startDemoSync(session, document.querySelector(".topbar .status")!, () => app.refresh());
  document.body.dataset.ready = "true";
}

window.addEventListener("unhandledrejection", (event) => reportError(event.reason));
void start();
