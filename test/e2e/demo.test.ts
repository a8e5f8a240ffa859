import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright";
import { DB_NAME, agentTexts, approve, demoRoot, newThread, rename, repo, send, useDemo, userTexts } from "./demo-harness";

/**
 * The demo's main journeys in Chromium, built and served as a visitor gets it (demo-harness.ts).
 */

const demo = useDemo();
const newContext = () => demo.newContext();
const openDemo = (context: BrowserContext) => demo.openDemo(context);

/** Rows of every object store of the demo's database, read in the page. */
function countRows(page: Page, threadId: string): Promise<{ meta: number; events: number; blobs: number; threadRows: number }> {
  return page.evaluate(
    ([name, thread]) =>
      new Promise((done, fail) => {
        const open = indexedDB.open(name);
        open.onerror = () => fail(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(["meta", "events", "blobs"], "readonly");
          const counts = { meta: 0, events: 0, blobs: 0, threadRows: 0 };
          for (const store of ["meta", "events", "blobs"] as const) {
            tx.objectStore(store).openCursor().onsuccess = (e) => {
              const cursor = (e.target as IDBRequest<IDBCursorWithValue | null>).result;
              if (!cursor) return;
              counts[store]++;
              if (JSON.stringify(cursor.key).includes(thread) || JSON.stringify(cursor.value ?? null).includes(thread)) counts.threadRows++;
              cursor.continue();
            };
          }
          tx.oncomplete = () => {
            db.close();
            done(counts);
          };
        };
      }),
    [DB_NAME, threadId] as const,
  );
}

describe("the demo app", () => {
  it("creates a thread, chats through a tool approval and keeps each turn's events", async () => {
    const page = await openDemo(await newContext());
    await newThread(page);
    await rename(page, "Weekend errands");
    await newThread(page);
    await rename(page, "Launch planning");
    await send(page, "What is 6 * 7?");
    await expect.poll(() => page.getByTestId("approval").textContent()).toContain("calculator");
    await approve(page);
    expect(await agentTexts(page)).toEqual(["I can work that out with the calculator: 6 * 7.", "The answer is 42."]);

    await page.getByTestId("tab-events").click();
    await expect.poll(() => page.getByTestId("turn").count()).toBe(2);
    expect(await page.locator(".turn .pill").allTextContents()).toEqual(["finished", "finished"]);
    expect(await page.getByTestId("turns").textContent()).toContain("tool_result");

    await page.getByTestId("tab-storage").click();
    await expect.poll(() => page.getByTestId("usage-row").count()).toBe(2);
    const row = page.getByTestId("usage-row").filter({ hasText: "Launch planning" });
    const raw = Number(await row.getAttribute("data-raw"));
    const stored = Number(await row.getAttribute("data-stored"));
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(raw);
    expect(await page.getByTestId("estimate").textContent()).toMatch(/\d.* of \d/);

    // The main view for the README: a second conversation waiting for approval.
    await send(page, "Remember that the launch is on Friday");
    await page.getByTestId("tab-history").click();
    await page.getByTestId("checkpoint").first().waitFor();
    // Saved as a test artifact on every run; the README's copy in demo/ only when asked for
    // (UPDATE_SCREENSHOT=1) or missing, so a test run leaves the checkout clean.
    const shot = await page.screenshot({ path: join(repo, "test/artifacts/demo.png") });
    if (process.env.UPDATE_SCREENSHOT === "1" || !existsSync(join(demoRoot, "screenshot.png"))) writeFileSync(join(demoRoot, "screenshot.png"), shot);
  });

  it("shows every thread and its exact state after a reload, and approves the pending step there", async () => {
    const page = await openDemo(await newContext());
    const first = await newThread(page);
    await send(page, "What is 2 + 3?");
    await approve(page);
    await rename(page, "Budget maths");
    const second = await newThread(page);
    await send(page, "Remember that the cat is called Tom");
    const messagesBefore = await page.getByTestId("messages").textContent();

    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    const ids = await page.getByTestId("thread").evaluateAll((items) => items.map((i) => i.getAttribute("data-thread-id")));
    expect(ids.sort()).toEqual([first, second].sort());
    expect(await page.getByTestId("thread-list").textContent()).toContain("Budget maths");
    await page.locator(`[data-thread-id="${second}"] [data-testid=thread-title]`).click();
    await page.getByTestId("approval").waitFor();
    expect(await page.getByTestId("messages").textContent()).toBe(messagesBefore);
    expect(await page.getByTestId("composer").isDisabled()).toBe(true);

    await approve(page);
    expect((await agentTexts(page)).at(-1)).toBe("Saved. You have 1 note now, kept for every conversation.");
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    await page.locator(`[data-thread-id="${second}"] [data-testid=thread-title]`).click();
    await expect.poll(async () => (await agentTexts(page)).at(-1)).toBe("Saved. You have 1 note now, kept for every conversation.");
    expect(await page.getByTestId("approval").count()).toBe(0);
  });

  it("finds a note taken in one conversation from another, after a reload, and lists it in the storage panel", async () => {
    const page = await openDemo(await newContext());
    await newThread(page);
    await send(page, "Remember that the dentist is on Tuesday");
    await approve(page);
    const second = await newThread(page);
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    await page.locator(`[data-thread-id="${second}"] [data-testid=thread-title]`).click();
    await expect.poll(() => page.getByTestId("composer").isDisabled()).toBe(false);
    await send(page, "When is the dentist?");
    await approve(page);
    expect((await agentTexts(page)).at(-1)).toBe('From your notes: "the dentist is on Tuesday".');
    await page.getByTestId("tab-storage").click();
    await expect.poll(() => page.getByTestId("memory-note").allTextContents()).toEqual([expect.stringContaining("the dentist is on Tuesday")]);
  });

  it("forks from an earlier checkpoint and continues from there", async () => {
    const page = await openDemo(await newContext());
    await newThread(page);
    await send(page, "Remember that the launch is on Friday");
    await approve(page);
    await send(page, "What is 10 / 4?");
    await approve(page);
    expect(await userTexts(page)).toHaveLength(2);

    // Back to the end of the first turn: four messages, nothing pending.
    await page.getByTestId("tab-history").click();
    await page.locator('[data-testid=checkpoint][data-messages="4"]:has-text("Agent replied") [data-testid=fork]').click();
    await expect.poll(() => userTexts(page)).toEqual(["Remember that the launch is on Friday"]);
    await expect.poll(() => page.locator(".checkpoint.current").textContent()).toContain("fork");

    await send(page, "What do my notes say about the launch?");
    await approve(page);
    expect((await agentTexts(page)).at(-1)).toBe('From your notes: "the launch is on Friday".');
    expect(await userTexts(page)).toEqual(["Remember that the launch is on Friday", "What do my notes say about the launch?"]);
  });

  it("deletes a thread and leaves no row of it in IndexedDB", async () => {
    const page = await openDemo(await newContext());
    const id = await newThread(page);
    await send(page, "What is 1 + 1?");
    await page.getByTestId("decline").click();
    await expect.poll(async () => (await agentTexts(page)).at(-1)).toBe("Understood, I did not run calculator. You declined this step.");
    expect(await page.getByTestId("tool-result").textContent()).toContain("declined");
    await send(page, "Remember that deleting leaves nothing");
    await approve(page);
    const before = await countRows(page, id);
    expect(before.threadRows).toBeGreaterThan(0);
    expect(before.blobs).toBeGreaterThan(0);

    await page.getByTestId("delete-thread").click();
    await page.getByTestId("delete-thread").click(); // the confirming second click
    await expect.poll(() => page.getByTestId("thread").count()).toBe(0);
    // One row stays: the long-term memory's version row (the thread's note went with the thread).
    expect(await countRows(page, id)).toEqual({ meta: 1, events: 0, blobs: 0, threadRows: 0 });
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.getByTestId("thread").count()).toBe(0);
  });

  it("keeps two tabs on the same thread in step within a second", async () => {
    const context = await newContext();
    const a = await openDemo(context);
    const b = await openDemo(context);
    const id = await newThread(a);
    await expect.poll(() => b.locator(`[data-thread-id="${id}"]`).count(), { timeout: 1000 }).toBe(1);
    await b.locator(`[data-thread-id="${id}"] [data-testid=thread-title]`).click();

    await send(a, "What is 9 * 9?");
    await expect.poll(() => b.getByTestId("approval").count(), { timeout: 1000 }).toBe(1);
    await b.getByTestId("approve").click();
    await expect.poll(async () => (await agentTexts(b)).at(-1)).toBe("The answer is 81.");
    await expect.poll(async () => (await agentTexts(a)).at(-1), { timeout: 1000 }).toBe("The answer is 81.");
    expect(await a.getByTestId("approval").count()).toBe(0);
  });

  it("loads and works with the network off after one visit, and says so", async () => {
    const context = await newContext();
    const page = await openDemo(context);
    await expect.poll(() => page.getByTestId("offline-badge").textContent(), { timeout: 30_000 }).toBe("✓ Works offline");
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await newThread(page);
    await send(page, "What is 3 * 3?");
    await approve(page);

    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.locator("#network").textContent()).toContain("Offline");
    expect((await agentTexts(page)).at(-1)).toBe("The answer is 9.");
    await send(page, "What is 4 * 4?");
    await approve(page);
    expect((await agentTexts(page)).at(-1)).toBe("The answer is 16.");
  });

  it("shows an HTML-injection message as text and runs no script", async () => {
    const page = await openDemo(await newContext());
    await newThread(page);
    const attack = `<img src=x onerror="window.__xss=1;alert(1)">`;
    await send(page, `Remember ${attack}`);
    await approve(page);
    expect(await userTexts(page)).toEqual([`Remember ${attack}`]);
    await page.getByTestId("tab-events").click();
    await page.getByTestId("turn").first().waitFor();
    expect(await page.getByTestId("turns").textContent()).toContain(attack);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it("shows a visible error instead of a blank page when the store cannot start", async () => {
    const context = await newContext();
    // The store's worker cannot load: openStore rejects, and the page must say so.
    await context.route(/\/assets\/main-[^/]*\.js$/, (route) => route.abort());
    const page = await context.newPage();
    page.on("pageerror", (e) => demo.problem(`page error: ${e.message}`));
    await page.goto(demo.baseUrl);
    await page.getByTestId("error-banner").waitFor({ state: "visible" });
    expect(await page.getByTestId("error-banner").textContent()).toMatch(/\S/);
    expect(await page.getByTestId("chat-title").textContent()).toBe("Storage unavailable");
  });
});
