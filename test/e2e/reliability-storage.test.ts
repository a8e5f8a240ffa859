import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright";
import { launchProfile, openHarness, pageErrors, startServer } from "../reliability/harness";
import { printFigures } from "../reliability/figures";
import { openHarnessTab, skipWith, whyNot } from "../reliability/engine-support";
import { openDriver } from "../engines/driver";

/**
 * The origin's storage under pressure, driven from Node over CDP: a quota set just above current
 * use, and site data cleared while writes are in flight. Each test runs in a browser on a fresh
 * profile, so the origin's storage and quota are its own.
 */

let server: Awaited<ReturnType<typeof startServer>>;
let profile: Awaited<ReturnType<typeof launchProfile>> | undefined;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await profile?.close();
  await server?.close();
});

async function freshPage(): Promise<Page> {
  await profile?.close();
  profile = await launchProfile();
  context = profile.context;
  page = await openHarness(await context.newPage(), server.url);
  return page;
}

/** In the page: five small checkpoints written before the store is full, read again at the end. */
const saveKept = async () => {
  await window.rel.open("q");
  const s = window.rel.store("q");
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await s.threads.save("keep", { i }, window.rel.bytes(16 * 1024, i)));
  return ids;
};

/**
 * In the page: 64 KiB checkpoints until one is refused, counting rows before and after the refused
 * write; then the earlier checkpoints are read back and deletes are tried on the full store.
 */
const fillPastQuota = async (keptIds: string[]) => {
  const s = window.rel.store("q");
  let accepted = 0;
  let failure: Awaited<ReturnType<typeof window.rel.outcome>> | undefined;
  let rowsBefore: Record<string, number> = {};
  let rowsAfter: Record<string, number> = {};
  const fillIds: string[] = [];
  for (let i = 0; i < 400 && !failure; i++) {
    rowsBefore = await window.rel.rows("q");
    const o = await window.rel.outcome(s.threads.save("fill", { i }, window.rel.bytes(64 * 1024, 1000 + i)));
    if (o.ok) {
      accepted++;
      fillIds.push(o.value as string);
    } else failure = o;
  }
  rowsAfter = await window.rel.rows("q");
  const countAfter = await s.threads.count("fill");
  let keptIntact = 0;
  for (let i = 0; i < keptIds.length; i++) {
    const o = await window.rel.outcome(s.threads.load("keep", keptIds[i]));
    const want = window.rel.bytes(16 * 1024, i);
    if (o.ok && (o.value as { state: Uint8Array }).state.every((b, j) => b === want[j])) keptIntact++;
  }
  const deleteOne = await window.rel.outcome(s.threads.delete("fill", fillIds[0]));
  // The thread still reads right after a delete on a full disk.
  const afterDelete = {
    count: await s.threads.count("fill"),
    listed: (await s.threads.list("fill")).length,
    latest: (await s.threads.loadLatest("fill")).meta.checkpointId,
    threads: await s.threads.listThreads(),
  };
  const deleteThread = await window.rel.outcome(s.threads.deleteThread("fill"));
  const smallAfter = await window.rel.outcome(s.threads.save("small", {}, new Uint8Array(10)));
  return { accepted, failure, rowsBefore, rowsAfter, countAfter, keptIntact, deleteOne, afterDelete, lastFill: fillIds.at(-1), deleteThread, smallAfter };
};

type QuotaResult = Awaited<ReturnType<typeof fillPastQuota>>;

/** Prints the quota test's figures under `label` and checks what must hold in every engine. */
function expectQuotaHeld(label: string, sizes: { quota: number; usageBeforeFill?: number; usageAtEnd?: number }, kept: string[], result: QuotaResult): void {
  printFigures(label, {
    quota: sizes.quota,
    usageBeforeFill: sizes.usageBeforeFill ?? -1,
    usageAtEnd: sizes.usageAtEnd ?? -1,
    acceptedBeforeFull: result.accepted,
    failure: result.failure?.code ?? "none",
    keptIntact: `${result.keptIntact}/${kept.length}`,
    leftBehindRows: JSON.stringify(result.rowsAfter) === JSON.stringify(result.rowsBefore) ? 0 : 1,
    deleteOne: result.deleteOne.ok ? "ok" : result.deleteOne.code ?? "?",
    deleteThread: result.deleteThread.ok ? "ok" : result.deleteThread.code ?? "?",
    smallWriteAfterDeletes: result.smallAfter.ok ? "ok" : result.smallAfter.code ?? "?",
  });
  expect(result.failure).toMatchObject({ ok: false, code: "QUOTA_EXCEEDED", retryable: false });
  expect(result.rowsAfter).toEqual(result.rowsBefore);
  expect(result.countAfter).toBe(result.accepted);
  expect(result.keptIntact).toBe(kept.length);
  expect(result.deleteOne.ok).toBe(true);
  expect(result.afterDelete).toEqual({ count: result.accepted - 1, listed: result.accepted - 1, latest: result.lastFill, threads: ["fill", "keep"] });
  expect(result.deleteThread.ok).toBe(true);
  // Not asserted: Chromium gives deleted space back lazily, so a write right after the deletes
  // may still meet the quota; it must then be the same typed error.
  expect(result.smallAfter.ok || result.smallAfter.code === "QUOTA_EXCEEDED").toBe(true);
}

const quotaTitle = "rejects writes past the quota with QUOTA_EXCEEDED (not retryable), leaves nothing behind, keeps earlier data readable and deletes working";

describe("storage pressure", () => {
  it(quotaTitle, async (ctx) => {
    const why = whyNot("chromium");
    if (why) return skipWith(why, ctx);
    await freshPage();
    const origin = new URL(server.url).origin;
    // Chromium reads an origin's quota when its storage is first opened, so the override comes
    // first; the earlier checkpoints then use a small part of it.
    const quota = 3 * 1024 * 1024;
    const cdp = await context.newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: quota });
    const kept = await page.evaluate(saveKept);
    const { usage } = await page.evaluate(() => navigator.storage.estimate());
    const result = await page.evaluate(fillPastQuota, kept);
    const usageAtEnd = (await page.evaluate(() => navigator.storage.estimate())).usage;
    expectQuotaHeld("quota", { quota, usageBeforeFill: usage, usageAtEnd }, kept, result);
    expect(pageErrors.get(page)).toEqual([]);
  });

  // Chromium only: clearing an origin's data from outside the page takes CDP's Storage domain.
  it("rejects in-flight calls with DATABASE_CLOSED when site data is cleared mid-burst, reports the close, and reopens on the next call", async (ctx) => {
    const why = whyNot("chromium");
    if (why) return skipWith(why, ctx);
    await freshPage();
    const origin = new URL(server.url).origin;
    await page.evaluate(async () => {
      const w = window as unknown as { closes: string[]; acked: number; burst: Promise<unknown> };
      w.closes = [];
      w.acked = 0;
      await window.rel.open("c", { onClose: (r: string) => w.closes.push(r) });
      const s = window.rel.store("c");
      w.burst = Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          window.rel.outcome(i % 3 === 2 ? s.threads.count("t") : s.threads.save("t", { i }, window.rel.bytes(512, i)).then(() => void w.acked++)),
        ),
      );
    });
    await page.waitForFunction(() => (window as unknown as { acked: number }).acked >= 10);
    const cdp = await context.newCDPSession(page);
    await cdp.send("Storage.clearDataForOrigin", { origin, storageTypes: "indexeddb" });
    const result = await page.evaluate(async () => {
      const w = window as unknown as { closes: string[]; burst: Promise<Array<{ ok: boolean; code?: string }>> };
      const counts: Record<string, number> = {};
      for (const o of await w.burst) {
        const key = o.ok ? "ok" : o.code!;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      const s = window.rel.store("c");
      const next = await window.rel.outcome(s.threads.save("t", {}, new Uint8Array(4)));
      const count = await window.rel.outcome(s.threads.count("t"));
      return { counts, closes: w.closes, next, count };
    });
    printFigures("site data cleared mid-burst", { calls: 400, ...result.counts, closeEvents: result.closes.length, nextCall: result.next.ok ? "ok" : "failed" });
    expect(Object.keys(result.counts).every((k) => k === "ok" || k === "DATABASE_CLOSED")).toBe(true);
    expect(result.closes).toContain("closed");
    expect(result.next.ok).toBe(true);
    expect(result.count).toMatchObject({ ok: true });
    expect(pageErrors.get(page)).toEqual([]);
  });
});

/** Firefox's cap on all temporary storage, in KiB; one site may then use all of it (under 10 MiB). */
const FIREFOX_LIMIT_KIB = 3 * 1024;

describe("storage pressure in firefox", () => {
  it(quotaTitle, async (ctx) => {
    const why = whyNot("firefox");
    if (why) return skipWith(why, ctx);
    // Firefox reads the limit when its quota manager starts: a browser of its own, profile and all.
    const driver = await openDriver("firefox", { firefoxPrefs: { "dom.quotaManager.temporaryStorage.fixedLimit": FIREFOX_LIMIT_KIB } });
    try {
      const tab = await openHarnessTab(await driver.newSession(), server.url);
      const kept = await tab.evaluate(saveKept);
      const usage = () => tab.evaluate(async () => (await navigator.storage.estimate()).usage);
      const usageBeforeFill = await usage();
      const result = await tab.evaluate(fillPastQuota, kept);
      expectQuotaHeld("quota (firefox)", { quota: FIREFOX_LIMIT_KIB * 1024, usageBeforeFill, usageAtEnd: await usage() }, kept, result);
      expect(await tab.evaluate(() => window.rel.errors)).toEqual([]);
    } finally {
      await driver.close();
    }
  });
});

describe("storage pressure in webkit", () => {
  it(quotaTitle, (ctx) => {
    skipWith(
      "WebKitGTK cannot be given a small quota from outside: an origin's quota is set by the app that embeds WebKit " +
        "(WebKitWebsiteDataManager's construct-only origin-storage-ratio), MiniBrowser sets none, so an origin gets WebKit's default (documented as 1 GiB), " +
        "and no MiniBrowser option, WebDriver capability or environment variable lowers it",
      ctx,
    );
  });
});
