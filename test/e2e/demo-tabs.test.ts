import { describe, expect, it } from "vitest";
import type { Page } from "playwright";
import { agentTexts, newThread, send, useDemo } from "./demo-harness";

/**
 * Two tabs of the demo on one conversation. The demo's tools enter every run in a ledger all
 * tabs share (localStorage, demo/tools.ts), the stand-in for a side effect such as a payment:
 * approving one step in two tabs must run the tool once.
 */
const demo = useDemo();

const toolRuns = (page: Page) => page.evaluate(() => Number(localStorage.getItem("idb-checkpoint-demo:tool-runs") ?? 0));
const bannerShown = (page: Page) => page.getByTestId("error-banner").isVisible();

async function twoTabsOnOneThread(): Promise<[Page, Page, string]> {
  const context = await demo.newContext();
  const a = await demo.openDemo(context);
  const b = await demo.openDemo(context);
  const id = await newThread(a);
  await expect.poll(() => b.locator(`[data-thread-id="${id}"]`).count(), { timeout: 2000 }).toBe(1);
  await b.locator(`[data-thread-id="${id}"] [data-testid=thread-title]`).click();
  return [a, b, id];
}

describe("the demo in two tabs", () => {
  it("runs the tool once when Approve is clicked in both tabs, and both show the result without a banner", async () => {
    const [a, b] = await twoTabsOnOneThread();
    await send(a, "What is 9 * 9?");
    await b.getByTestId("approval").waitFor({ timeout: 2000 });
    expect(await toolRuns(a)).toBe(0);

    // Tab B's click lands while A's run is under way, at A's first committed write, before B has
    // redrawn: B's button is still the one it drew when the step was pending (a person with two
    // windows clicks both).
    await b.evaluate(() => {
      const channel = new BroadcastChannel("idb-checkpoint:idb-checkpoint-demo:changes");
      channel.onmessage = () => {
        channel.close();
        document.querySelector<HTMLButtonElement>("[data-testid=approve]")!.click();
      };
    });
    await a.getByTestId("approve").click();
    for (const page of [a, b]) {
      await expect.poll(async () => (await agentTexts(page)).at(-1)).toBe("The answer is 81.");
      await expect.poll(() => page.getByTestId("approval").count()).toBe(0);
    }
    // Let a late second run show itself, if there were one.
    await a.waitForTimeout(500);
    expect(await toolRuns(a)).toBe(1);
    expect(await agentTexts(b)).toEqual(["I can work that out with the calculator: 9 * 9.", "The answer is 81."]);
    await b.getByTestId("tab-history").click();
    await expect.poll(() => b.getByTestId("checkpoint-label").allTextContents()).toContain("Tool calculator ran");
    expect((await b.getByTestId("checkpoint-label").allTextContents()).filter((l) => l === "Tool calculator ran")).toHaveLength(1);
    await b.getByTestId("tab-events").click();
    await expect.poll(() => b.getByTestId("tool-runs").textContent()).toContain(": 1");
    expect(await bannerShown(a)).toBe(false);
    expect(await bannerShown(b)).toBe(false);
  });

  it("shows the second tab that another tab runs the conversation, with Approve disabled until that run is over", async () => {
    const [a, b, id] = await twoTabsOnOneThread();
    await send(a, "What is 2 + 2?");
    await b.getByTestId("approval").waitFor({ timeout: 2000 });
    // Tab A holds the thread's lock as a long run would (the name is threadLockName's).
    await a.evaluate((threadId) => {
      const w = window as unknown as { __release?: () => void };
      void navigator.locks.request(`idb-checkpoint:idb-checkpoint-demo:thread:${threadId}`, () => new Promise<void>((r) => (w.__release = r)));
    }, id);
    await b.getByTestId("tab-events").click(); // any redraw looks at the lock
    await b.getByTestId("running-elsewhere").waitFor({ timeout: 3000 });
    expect(await b.getByTestId("approve").isDisabled()).toBe(true);
    await a.evaluate(() => (window as unknown as { __release: () => void }).__release());
    await expect.poll(() => b.getByTestId("running-elsewhere").count(), { timeout: 2000 }).toBe(0);
    await b.getByTestId("approve").click();
    await expect.poll(async () => (await agentTexts(b)).at(-1)).toBe("The answer is 4.");
    await expect.poll(async () => (await agentTexts(a)).at(-1), { timeout: 2000 }).toBe("The answer is 4.");
    expect(await toolRuns(a)).toBe(1);
    expect(await bannerShown(b)).toBe(false);
  });
});
