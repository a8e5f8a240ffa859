import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { build, preview, type PreviewServer } from "vite";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright";
import { chromiumLaunchOptions } from "../chromium";
import { freePort } from "../engines/webkit";

/**
 * The demo as a visitor gets it: built with Vite, served by Vite's preview server, driven in
 * Chromium. Each test gets fresh browser contexts (fresh IndexedDB, no service worker yet) and
 * fails on any page error, dialog or unhandled rejection. The build is kept between test files
 * and runs again only when a file under demo/, src/ or worker/ changed.
 */
export const repo = resolve(import.meta.dirname, "../..");
export const demoRoot = join(repo, "demo");
export const DB_NAME = "idb-checkpoint-demo";

const buildDir = join(repo, "node_modules/.cache/idb-checkpoint-demo-e2e");

export interface DemoHarness {
  readonly baseUrl: string;
  readonly browser: Browser;
  newContext(options?: { width?: number; height?: number }): Promise<BrowserContext>;
  openDemo(context: BrowserContext, path?: string): Promise<Page>;
  /** Records a problem the afterEach check reports (for pages opened by hand). */
  problem(text: string): void;
}

function newestInput(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "dist" || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestInput(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the demo unless the cached build is of the current sources; resolves with its folder. */
export async function buildOnce(): Promise<string> {
  const stamp = join(buildDir, ".inputs");
  const inputs = String(Math.max(...["demo", "src", "worker"].map((d) => newestInput(join(repo, d)))));
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === inputs) return buildDir;
  mkdirSync(buildDir, { recursive: true });
  await build({ configFile: join(demoRoot, "vite.config.ts"), logLevel: "warn", build: { outDir: buildDir, emptyOutDir: true } });
  writeFileSync(stamp, inputs);
  return buildDir;
}

/** Registers the suite's hooks and returns the harness the tests use once beforeAll ran. */
export function useDemo(): DemoHarness {
  let server: PreviewServer;
  let browser: Browser;
  let baseUrl = "";
  let contexts: BrowserContext[] = [];
  let problems: string[] = [];

  beforeAll(async () => {
    const outDir = await buildOnce();
    server = await preview({
      configFile: join(demoRoot, "vite.config.ts"),
      logLevel: "warn",
      build: { outDir },
      preview: { host: "127.0.0.1", port: await freePort(), strictPort: true },
    });
    baseUrl = server.resolvedUrls!.local[0];
    browser = await chromium.launch(chromiumLaunchOptions());
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(async () => {
    for (const context of contexts) {
      for (const page of context.pages()) {
        const rejections = await page.evaluate(() => (window as unknown as { __rejections?: string[] }).__rejections ?? []).catch(() => []);
        problems.push(...rejections.map((r) => `unhandled rejection: ${r}`));
      }
      await context.close();
    }
    contexts = [];
    const found = problems;
    problems = [];
    expect(found).toEqual([]);
  });

  return {
    get baseUrl() {
      return baseUrl;
    },
    get browser() {
      return browser;
    },
    problem(text) {
      problems.push(text);
    },
    async newContext({ width = 1440, height = 900 } = {}) {
      const context = await browser.newContext({ viewport: { width, height } });
      await context.addInitScript(() => {
        const w = window as unknown as { __rejections: string[] };
        w.__rejections = [];
        window.addEventListener("unhandledrejection", (e) => w.__rejections.push(String(e.reason)));
      });
      contexts.push(context);
      return context;
    },
    async openDemo(context, path = "") {
      const page = await context.newPage();
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("dialog", (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      await page.goto(baseUrl + path);
      await page.waitForSelector("body[data-ready=true]");
      return page;
    },
  };
}

export async function newThread(page: Page): Promise<string> {
  const before = await page.getByTestId("thread").count();
  await page.getByTestId("new-thread").click();
  await expect.poll(() => page.getByTestId("thread").count()).toBe(before + 1);
  await page.waitForSelector(".thread.active");
  return (await page.locator(".thread.active").getAttribute("data-thread-id"))!;
}

/** Renames the selected thread in place. */
export async function rename(page: Page, title: string): Promise<void> {
  await page.locator(".thread.active [data-testid=rename-thread]").click();
  await page.getByTestId("rename-input").fill(title);
  await page.getByTestId("rename-input").press("Enter");
  await expect.poll(() => page.getByTestId("chat-title").textContent()).toBe(title);
}

/** Sends a message and waits until the agent stops at its approval breakpoint. */
export async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId("composer").fill(text);
  await page.getByTestId("composer").press("Enter");
  await page.getByTestId("approval").waitFor();
}

export async function approve(page: Page): Promise<void> {
  const replies = await page.getByTestId("msg-agent").count();
  await page.getByTestId("approve").click();
  await expect.poll(() => page.getByTestId("msg-agent").count()).toBe(replies + 1);
  await expect.poll(() => page.getByTestId("approval").count()).toBe(0);
}

export async function decline(page: Page): Promise<void> {
  const replies = await page.getByTestId("msg-agent").count();
  await page.getByTestId("decline").click();
  await expect.poll(() => page.getByTestId("msg-agent").count()).toBe(replies + 1);
  await expect.poll(() => page.getByTestId("approval").count()).toBe(0);
}

export const agentTexts = (page: Page) => page.getByTestId("agent-text").allTextContents();
export const userTexts = (page: Page) => page.getByTestId("msg-user").allTextContents();

/** Sideways overflow of the page in CSS pixels (0 when nothing sticks out). */
export const sidewaysOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
