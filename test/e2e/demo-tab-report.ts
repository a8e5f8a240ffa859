import type { Tab } from "../engines/driver";

/**
 * What a failed demo test (test/e2e/demo-engines.test.ts) prints about each of its tabs, so a
 * failure, a timeout above all, says where each tab was instead of only that time ran out.
 */

/** A tab as the test drives it: what the test waits for there right now, and what it last saw. */
export interface WatchedTab {
  tab: Tab;
  waiting?: { what: string; since: number; last?: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What a tab shows, read in the page for a failed test's report: the thread locks held or awaited
 * (Web Locks), and whether IndexedDB answers a read of the demo's database.
 */
async function pageState() {
  const q = (s: string) => document.querySelector(s);
  const n = (s: string) => document.querySelectorAll(s).length;
  const threadsOf = (locks?: LockInfo[]) => (locks ?? []).map((l) => l.name ?? "").filter((name) => name.includes(":thread:")).map((name) => name.split(":thread:")[1]);
  const locks = navigator.locks ? await navigator.locks.query() : undefined;
  const idb = await new Promise<string>((resolve) => {
    setTimeout(() => resolve("no answer in 3 s"), 3_000);
    void (indexedDB.databases?.() ?? Promise.resolve([{ name: "idb-checkpoint-demo" }])).then((dbs) => {
      if (!dbs.some((d) => d.name === "idb-checkpoint-demo")) return resolve("no database yet");
      const open = indexedDB.open("idb-checkpoint-demo");
      open.onblocked = () => resolve("open blocked");
      open.onerror = () => resolve(`open failed: ${open.error?.message}`);
      open.onsuccess = () => {
        const db = open.result;
        const name = db.objectStoreNames[0];
        const count = db.transaction(name, "readonly").objectStore(name).count();
        count.onsuccess = () => (resolve(`answers (${count.result} rows in ${name})`), db.close());
        count.onerror = () => (resolve(`read failed: ${count.error?.message}`), db.close());
      };
    });
  });
  return {
    url: location.href,
    visibility: document.visibilityState,
    ready: document.body.dataset.ready === "true",
    banner: (q("#banner") as HTMLElement | null)?.hidden === false ? q("#banner-text")?.textContent : null,
    threads: n('[data-testid="thread"]'),
    selected: q(".thread.active")?.getAttribute("data-thread-id") ?? null,
    messages: { user: n('[data-testid="msg-user"]'), agent: n('[data-testid="msg-agent"]'), lastAgent: Array.from(document.querySelectorAll('[data-testid="agent-text"]')).at(-1)?.textContent ?? null },
    approval: q('[data-testid="approval"]') ? ((q('[data-testid="approve"]') as HTMLButtonElement | null)?.disabled ? "shown, disabled" : "shown") : "none",
    composerDisabled: (q('[data-testid="composer"]') as HTMLTextAreaElement | null)?.disabled ?? null,
    runningElsewhere: n('[data-testid="running-elsewhere"]') > 0,
    threadLocks: locks ? { held: threadsOf(locks.held), waiting: threadsOf(locks.pending) } : "no Web Locks",
    indexedDB: idb,
  };
}

/** Each tab of a failed test: what the test waited for there, the driver call it hangs on, what the page shows. */
export async function describeTabs(uis: WatchedTab[]): Promise<string> {
  const lines: string[] = [];
  for (const [i, ui] of uis.entries()) {
    const w = ui.waiting;
    const waiting = w ? `${w.what} for ${((Date.now() - w.since) / 1000).toFixed(1)} s, last saw ${w.last ?? "nothing yet"}` : "nothing";
    const page = await Promise.race([ui.tab.evaluate(pageState).then((state) => JSON.stringify(state)), sleep(10_000).then(() => "no answer in 10 s")]).catch((e: unknown) => `unreadable: ${e instanceof Error ? e.message : String(e)}`);
    lines.push(`tab ${i + 1}: waiting for ${waiting}; driver call in flight: ${ui.tab.inFlight() ?? "none"}; page: ${page}`);
  }
  return lines.join("\n") || "no tab was open (the browser session did not start?)";
}
