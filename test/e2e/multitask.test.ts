import { resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createServer, type ViteDevServer } from "vite";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright";
import { chromiumLaunchOptions } from "../chromium";

/**
 * Double-texting across tabs: two pages of one browser context (one origin, one database, two
 * workers) run the same thread of the same graph; the second run arrives while the first is
 * half done, and follows the strategy it was started with.
 */
const repo = resolve(import.meta.dirname, "../..");
let server: ViteDevServer;
let url: string;
let browser: Browser;
let context: BrowserContext;
let tabs: Page[];
let errors: string[];

beforeAll(async () => {
  server = await createServer({
    root: repo,
    configFile: false,
    logLevel: "warn",
    worker: { format: "es" },
    // Pre-bundled up front and in a cache of its own: a re-bundle mid-run would reload a tab.
    optimizeDeps: {
      noDiscovery: true,
      include: ["comlink", "idb", "fflate", "@langchain/langgraph/web", "@langchain/langgraph-checkpoint", "@langchain/core/singletons", "@langchain/core/runnables"],
    },
    cacheDir: resolve(repo, "node_modules/.vite-multitask"),
    server: { host: "127.0.0.1", port: 0, hmr: false },
  });
  await server.listen();
  const address = server.httpServer!.address() as { port: number };
  url = `http://127.0.0.1:${address.port}/test/e2e/multitask-page/index.html`;
  browser = await chromium.launch(chromiumLaunchOptions());
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

beforeEach(async () => {
  await context?.close();
  context = await browser.newContext();
  errors = [];
  tabs = [];
  for (let i = 0; i < 2; i++) {
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url, { timeout: 120_000 });
    await page.waitForFunction(() => document.title === "ready", undefined, { timeout: 120_000 });
    tabs.push(page);
  }
});

type Outcome = { done: boolean; ok?: boolean; code?: string; retryable?: boolean; message?: string; waited?: boolean };

async function race(strategy: string, thread: string): Promise<{ a: Outcome; b: Outcome; log: string[]; ever: string[] }> {
  const [tabA, tabB] = tabs;
  await tabA.evaluate(({ thread }) => window.multitask.start("A", thread, "reject"), { thread });
  // Tab B answers once it reads two of tab A's five steps checkpointed.
  const deadline = Date.now() + 60_000;
  while ((await tabB.evaluate((thread) => window.multitask.log(thread), thread)).length < 2) {
    if (Date.now() > deadline) throw new Error("tab A's run never checkpointed two steps");
    await new Promise((r) => setTimeout(r, 20));
  }
  await tabB.evaluate(({ thread, strategy }) => window.multitask.start("B", thread, strategy as never), { thread, strategy });
  await tabA.waitForFunction(() => window.multitask.outcome("A")?.done, undefined, { timeout: 60_000 });
  await tabB.waitForFunction(() => window.multitask.outcome("B")?.done, undefined, { timeout: 60_000 });
  const a = (await tabA.evaluate(() => window.multitask.outcome("A")))!;
  const b = (await tabB.evaluate(() => window.multitask.outcome("B")))!;
  // Read from tab A: the other tab's writes are there too.
  const log = await tabA.evaluate((thread) => window.multitask.log(thread), thread);
  const ever = await tabA.evaluate((thread) => window.multitask.everLogged(thread), thread);
  return { a, b, log, ever };
}

describe("two tabs run one thread", () => {
  it("reject: the second tab's run rejects with THREAD_BUSY naming the thread, the first tab's run finishes", async () => {
    const { a, b, log } = await race("reject", "t-reject");
    expect(a).toMatchObject({ ok: true });
    expect(b).toMatchObject({ ok: false, code: "THREAD_BUSY", retryable: true });
    expect(b.message).toContain('"t-reject"');
    expect(log).toEqual(["A0", "A1", "A2", "A3", "A4"]);
    expect(errors).toEqual([]);
  });

  it("enqueue: the second tab's run waits for the first tab's and then runs", async () => {
    const { a, b, log } = await race("enqueue", "t-enqueue");
    expect(a).toMatchObject({ ok: true });
    expect(b).toMatchObject({ ok: true, waited: true });
    expect(log).toEqual(["A0", "A1", "A2", "A3", "A4", "B0", "B1", "B2", "B3", "B4"]);
    expect(errors).toEqual([]);
  });

  it("interrupt: the first tab's run stops with CONFLICT keeping what it checkpointed, then the second tab's runs", async () => {
    const { a, b, log } = await race("interrupt", "t-interrupt");
    expect(a).toMatchObject({ ok: false, code: "CONFLICT", retryable: false });
    expect(b).toMatchObject({ ok: true });
    const kept = log.filter((x) => x.startsWith("A"));
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.length).toBeLessThan(5);
    expect(log).toEqual([...kept, "B0", "B1", "B2", "B3", "B4"]);
    expect(errors).toEqual([]);
  });

  it("rollback: the first tab's run stops and every checkpoint it made is deleted, then the second tab's run starts from before it", async () => {
    const { a, b, log, ever } = await race("rollback", "t-rollback");
    expect(a).toMatchObject({ ok: false, code: "CONFLICT" });
    expect(b).toMatchObject({ ok: true });
    expect(log).toEqual(["B0", "B1", "B2", "B3", "B4"]);
    // No checkpoint of the thread holds anything of run A.
    expect(ever).toEqual(["B0", "B1", "B2", "B3", "B4"]);
    expect(errors).toEqual([]);
  });
});
