import { upgradeSchemaInPage } from "./in-page.js";
import { storeName, type KitPage } from "./page.js";

/**
 * The failures the library handles, injected into a real page so a test can check how the app
 * reacts: the disk full, the store's worker gone, a newer version of the app in another tab.
 */

/**
 * Sets the origin's storage quota (Chromium only, over the DevTools protocol) to what it uses
 * now plus `headroomBytes`, so the next writes fail with QUOTA_EXCEEDED. Chromium applies the
 * override only to a profile on disk (`chromium.launchPersistentContext`; `browser.newContext()`
 * is off the record), and reads it when the origin's storage opens: open a page of the origin
 * that does not open the store (any static file), call this, then go to the app. Everything the
 * origin keeps counts (a service worker's cache too). Resolves with a function that lifts the limit.
 */
export async function exhaustQuota(page: KitPage, options: { headroomBytes?: number; origin?: string } = {}): Promise<() => Promise<void>> {
  const origin = options.origin ?? new URL(page.url()).origin;
  if (!origin || origin === "null") throw new TypeError("exhaustQuota needs a page at an http(s) origin, or { origin }");
  const used = await page.evaluate(async () => (navigator.storage?.estimate ? ((await navigator.storage.estimate()).usage ?? 0) : 0), undefined);
  let cdp;
  try {
    cdp = await page.context().newCDPSession(page as never);
  } catch (e) {
    throw new TypeError(`exhaustQuota needs Chromium (it sets the quota over the DevTools protocol): ${(e as Error).message}`);
  }
  // A size of 0 would be read as "no override".
  await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: Math.max(1, used + (options.headroomBytes ?? 0)) });
  return async () => {
    await cdp.send("Storage.overrideQuotaForOrigin", { origin });
    await cdp.detach();
  };
}

/**
 * Ends the store's worker (as a crash would): calls in flight and the next ones reject with
 * WORKER_GONE once the page's heartbeat notices. Resolves with whether a worker was found.
 */
export async function crashWorker(page: KitPage, options: { name: string }): Promise<boolean> {
  const want = `idb-checkpoint:${storeName(options, "crashWorker")}`;
  for (const worker of page.workers()) {
    const name = await worker.evaluate(() => (self as unknown as { name?: string }).name ?? "").catch(() => "");
    if (name !== want) continue;
    // close() ends the worker after this task; nothing of it answers again.
    await worker.evaluate(() => (self as unknown as { close(): void }).close()).catch(() => {});
    return true;
  }
  return false;
}

/**
 * Plays another tab opening a newer version of the app: the database goes one schema version up.
 * The page's store steps aside (onClose "versionchange"), and its later calls reject, since
 * its code knows only the older schema. Resolves with the new version.
 */
export function upgradeSchemaElsewhere(page: KitPage, options: { name: string }): Promise<number> {
  return page.evaluate(upgradeSchemaInPage, storeName(options, "upgradeSchemaElsewhere"));
}
