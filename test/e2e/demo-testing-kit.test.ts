import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chromium, type Page } from "playwright";
import { clearStore, crashWorker, exhaustQuota, exportStore, flushEvents, importStore, isStoreErrorLike, listStored, upgradeSchemaElsewhere } from "./kit-imports";
import { chromiumLaunchOptions } from "../chromium";
import { DB_NAME, agentTexts, approve, newThread, rename, send, useDemo, userTexts } from "./demo-harness";

/**
 * idb-checkpoint/testing driving the demo, as an app's own Playwright suite would: prepare what
 * a page stores, inspect it, clear it, and break it to see the app's reaction.
 */
const demo = useDemo();
const name = DB_NAME;

async function chatted(): Promise<Page> {
  const page = await demo.openDemo(await demo.newContext());
  await newThread(page);
  await rename(page, "Launch planning");
  await send(page, "Remember that the launch is on Friday");
  await approve(page);
  return page;
}

const tmp = () => mkdtempSync(join(tmpdir(), "idb-kit-"));
const banner = (page: Page) => page.getByTestId("error-banner");

describe("idb-checkpoint/testing on the demo", () => {
  it("exports a page's store to a file and imports it into a fresh page, which shows the same conversation", async () => {
    const page = await chatted();
    const dir = tmp();
    try {
      const file = join(dir, "store.json");
      expect((await flushEvents(page, { name })).stores).toBe(1);
      const doc = await exportStore(page, { name, path: file });
      expect(doc).toMatchObject({ format: "idb-checkpoint-export", formatVersion: 1, database: name, schemaVersion: 1 });
      expect(doc.objectStores.map((s) => s.name).sort()).toEqual(["blobs", "events", "meta"]);
      expect(JSON.parse(readFileSync(file, "utf8")).sha256).toBe(doc.sha256);
      const before = await listStored(page, { name });

      const fresh = await demo.openDemo(await demo.newContext());
      expect(await fresh.getByTestId("thread").count()).toBe(0);
      const { records } = await importStore(fresh, file);
      expect(records).toBe(doc.objectStores.reduce((n, s) => n + s.count, 0));
      await fresh.reload();
      await fresh.waitForSelector("body[data-ready=true]");
      expect(await fresh.getByTestId("chat-title").textContent()).toBe("Launch planning");
      expect(await userTexts(fresh)).toEqual(["Remember that the launch is on Friday"]);
      expect((await agentTexts(fresh)).at(-1)).toBe("Saved. You have 1 note now, kept for every conversation.");
      expect(await listStored(fresh, { name })).toEqual(before);
      // The imported store is a working one: the conversation goes on.
      await send(fresh, "What do my notes say about the launch?");
      await approve(fresh);
      expect((await agentTexts(fresh)).at(-1)).toBe('From your notes: "the launch is on Friday".');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an export whose records were changed (INTEGRITY) and writes nothing", async () => {
    const page = await chatted();
    const dir = tmp();
    try {
      const file = join(dir, "store.json");
      await exportStore(page, { name, path: file });
      writeFileSync(file, readFileSync(file, "utf8").replace("Launch planning", "Launch plannink"));
      const fresh = await demo.openDemo(await demo.newContext());
      const err = await importStore(fresh, file).catch((e: unknown) => e);
      expect(isStoreErrorLike(err, "INTEGRITY")).toBe(true);
      expect((await listStored(fresh, { name })).threads).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lists what the page stored by contract, and clears it", async () => {
    const page = await chatted();
    const id = (await page.locator(".thread.active").getAttribute("data-thread-id"))!;
    await flushEvents(page, { name });
    const stored = await listStored(page, { name });
    expect(stored.exists).toBe(true);
    expect(stored.threads).toHaveLength(1);
    const [thread] = stored.threads;
    expect(thread).toMatchObject({ threadId: id, checkpoints: 1, turns: 2, finishedTurns: 2 });
    expect(thread.saverCheckpoints).toBe(5); // message received, read, waiting, tool ran, replied
    expect(thread.events).toBeGreaterThan(4);
    expect(stored.rows.meta).toBeGreaterThan(0);

    await clearStore(page, { name });
    expect((await listStored(page, { name })).exists).toBe(false);
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.getByTestId("thread").count()).toBe(0);
  });

  it("crashing the store's worker makes the demo say so in its banner, without an id in it", async () => {
    const page = await chatted();
    expect(await crashWorker(page, { name })).toBe(true);
    await page.getByTestId("composer").fill("What is 2 + 2?");
    await page.getByTestId("composer").press("Enter");
    await banner(page).waitFor({ state: "visible", timeout: 15_000 });
    const text = (await banner(page).textContent()) ?? "";
    expect(text).toContain("storage worker stopped");
    expect(text).not.toMatch(/thread-|[0-9a-f]{8}-[0-9a-f]{4}/);
  });

  it("another tab upgrading the schema makes the demo ask for a reload instead of failing silently", async () => {
    const page = await chatted();
    expect(await upgradeSchemaElsewhere(page, { name })).toBe(2);
    await banner(page).waitFor({ state: "visible", timeout: 5000 });
    expect(await banner(page).textContent()).toContain("Reload this tab");
    expect(await banner(page).textContent()).not.toMatch(/thread-/);
  });

  it("a full disk makes the demo say there is no room, and it works again once there is room", async () => {
    // Chromium applies a quota override to a profile on disk only (a fresh context is off the record).
    const dir = tmp();
    const context = await chromium.launchPersistentContext(dir, { ...chromiumLaunchOptions(), viewport: { width: 1440, height: 900 } });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      // On the demo's origin, before the demo opens its store (Chromium reads the quota then).
      await page.goto(`${demo.baseUrl}sw.js`);
      const release = await exhaustQuota(page);
      await page.goto(demo.baseUrl);
      await page.waitForSelector("body[data-ready=true]");
      await page.getByTestId("new-thread").click();
      await banner(page).waitFor({ state: "visible", timeout: 15_000 });
      expect(await banner(page).textContent()).toContain("no room left");
      expect(await page.getByTestId("thread").count()).toBe(0);
      await release();
      await page.reload();
      await page.waitForSelector("body[data-ready=true]");
      await newThread(page);
      expect(await page.getByTestId("thread").count()).toBe(1);
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
