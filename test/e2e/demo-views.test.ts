import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Page } from "playwright";
import { approve, decline, newThread, repo, send, sidewaysOverflow, useDemo } from "./demo-harness";

/**
 * What the demo shows, checked where a behaviour is involved: labels in the history, the branch
 * a fork leaves behind, the current checkpoint in view, a narrow screen, a page opened as a file.
 * Screenshots at 1440 and 390 px go to test/artifacts/ for a person to look at.
 */
const demo = useDemo();

const labels = (page: Page) => page.getByTestId("checkpoint-label").allTextContents();

describe("the demo's views", () => {
  it("labels a declined step as declined, never as a tool run or a fork, and shows no internal step numbers", async () => {
    const page = await demo.openDemo(await demo.newContext());
    await newThread(page);
    await send(page, "What is 1 + 1?");
    await decline(page);
    await page.getByTestId("tab-history").click();
    const declined = page.locator("[data-testid=checkpoint]", { has: page.locator(".cp-source.declined") });
    await expect.poll(() => declined.count()).toBe(1);
    expect(await declined.getByTestId("checkpoint-label").textContent()).toBe("You declined calculator");
    expect(await labels(page)).not.toContain("Tool calculator ran");
    expect(await page.getByTestId("fork-mark").count()).toBe(0);
    expect(await page.getByTestId("history").textContent()).not.toMatch(/step\s*-?\d/i);
  });

  it("after Fork from here marks the branch left behind and scrolls the current checkpoint into view", async () => {
    const page = await demo.openDemo(await demo.newContext());
    await newThread(page);
    await send(page, "Remember that the launch is on Friday");
    await approve(page);
    for (const sum of ["1 + 1", "2 + 2", "3 + 3"]) {
      await send(page, `What is ${sum}?`);
      await approve(page);
    }
    await page.getByTestId("tab-history").click();
    await expect.poll(() => page.getByTestId("checkpoint").count()).toBe(20); // four turns of five checkpoints
    const first = page.locator('[data-testid=checkpoint][data-messages="4"]:has-text("Agent replied")');
    // Scrolled down to the old checkpoint, as a person would (the panel keeps its scroll across redraws).
    await page.locator("#panel").evaluate((p) => (p.scrollTop = p.scrollHeight));
    const panelTop = () => page.locator("#panel").evaluate((p) => p.scrollTop);
    expect(await panelTop()).toBeGreaterThan(0);
    const total = await page.getByTestId("checkpoint").count();
    // Newest first: every checkpoint above the fork point came after it.
    const later = await first.evaluate((el) => [...el.parentElement!.querySelectorAll("[data-testid=checkpoint]")].indexOf(el));
    expect(later).toBe(15); // three turns of five checkpoints each
    await first.getByTestId("fork").click();

    const current = page.locator(".checkpoint.current");
    await expect.poll(() => current.getByTestId("fork-mark").count()).toBe(1);
    expect(await current.textContent()).toContain("Continues from “Agent replied”");
    await expect.poll(() => current.evaluate((el) => {
      const panel = document.getElementById("panel")!.getBoundingClientRect();
      const box = el.getBoundingClientRect();
      return box.top >= panel.top && box.bottom <= panel.bottom;
    })).toBe(true);
    // The later turns are off the branch now; everything up to the fork point and the fork itself are on it.
    await expect.poll(() => page.locator("[data-branch=abandoned]").count()).toBe(later);
    expect(await page.locator("[data-branch=current]").count()).toBe(total + 1 - later);
    expect(await page.getByTestId("abandoned-divider").count()).toBe(1);
    await page.screenshot({ path: join(repo, "test/artifacts/demo-1440-fork.png") });
  });

  it("at 390 px wide shows the approval card on the first screen, and nothing overflows sideways", async () => {
    const page = await demo.openDemo(await demo.newContext({ width: 390, height: 844 }));
    expect(await sidewaysOverflow(page)).toBe(0);
    await newThread(page);
    await send(page, "What is 12 * (7 + 5)?");
    await page.evaluate(() => window.scrollTo(0, 0));
    const box = (await page.getByTestId("approve").boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(844);
    expect(await sidewaysOverflow(page)).toBe(0);
    await page.screenshot({ path: join(repo, "test/artifacts/demo-390-approval.png") });
    await approve(page);
    for (const tab of ["history", "events", "storage"]) {
      await page.getByTestId(`tab-${tab}`).click();
      await page.locator(`[data-testid=tab-${tab}].active`).waitFor();
      expect(await sidewaysOverflow(page), tab).toBe(0);
    }
    await page.screenshot({ path: join(repo, "test/artifacts/demo-390-storage.png"), fullPage: true });
  });

  it("keeps the storage table inside its panel", async () => {
    const page = await demo.openDemo(await demo.newContext());
    await newThread(page);
    await page.locator(".thread.active [data-testid=rename-thread]").click();
    await page.getByTestId("rename-input").fill("A conversation with a rather long title that will not fit");
    await page.getByTestId("rename-input").press("Enter");
    await page.getByTestId("tab-storage").click();
    await page.getByTestId("usage-row").waitFor();
    const edges = await page.evaluate(() => {
      const panel = document.getElementById("panel")!;
      const inner = panel.getBoundingClientRect().right - parseFloat(getComputedStyle(panel).paddingRight);
      const cells = [...panel.querySelectorAll("th, td")].map((c) => c.getBoundingClientRect().right);
      return { inner, right: Math.max(...cells), scroll: panel.scrollWidth - panel.clientWidth };
    });
    expect(edges.right).toBeLessThanOrEqual(edges.inner + 0.5);
    expect(edges.scroll).toBe(0);
    await page.screenshot({ path: join(repo, "test/artifacts/demo-1440-storage.png") });
  });

  it("opened from file:// says it needs a web server instead of hanging on “Opening the store…”", async () => {
    const context = await demo.newContext();
    const page = await context.newPage();
    await page.goto(`file://${join(repo, "node_modules/.cache/idb-checkpoint-demo-e2e/index.html")}`);
    const note = page.getByTestId("file-protocol");
    await note.waitFor();
    expect(await note.textContent()).toContain("npm run demo");
    expect(await page.getByText("Opening the store").count()).toBe(0);
    expect(await page.getByTestId("offline-badge").count()).toBe(0);
  });
});
