import { resolve } from "node:path";
import { createServer, type Plugin, type ViteDevServer } from "vite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright";
import { chromiumLaunchOptions } from "../chromium";

/**
 * Node side of the Playwright reliability tests: a Vite dev server for the harness page
 * (test/reliability/page.html, which loads the library and its real worker) and Chromium on the
 * system's executable. Every page is watched for uncaught errors and unhandled rejections.
 */

const repo = resolve(import.meta.dirname, "../..");

/** `plugins` add endpoints of a test's own (the crash page's inbox); `origin` is the server's. */
export async function startServer(plugins: Plugin[] = []): Promise<{ url: string; origin: string; close(): Promise<void> }> {
  const server: ViteDevServer = await createServer({
    root: repo,
    configFile: false,
    logLevel: "warn",
    plugins,
    resolve: {
      alias: {
        "idb-checkpoint/worker": resolve(repo, "worker/index.ts"),
        "idb-checkpoint": resolve(repo, "src/index.ts"),
      },
    },
    worker: { format: "es" },
    // No dependency pre-bundling: the libraries are served as the ES modules they ship. A
    // re-bundle mid-run would reload the page and fail a worker's imports; and this server must
    // not share a bundle cache with the other suites' servers.
    optimizeDeps: { noDiscovery: true, include: [] },
    cacheDir: resolve(repo, "node_modules/.vite-reliability"),
    server: { host: "127.0.0.1", port: 0, strictPort: false, hmr: false },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === "string") throw new Error("the harness server has no port");
  const origin = `http://127.0.0.1:${address.port}`;
  return { url: `${origin}/test/reliability/page.html`, origin, close: () => server.close() };
}

export async function launch(): Promise<Browser> {
  return chromium.launch(chromiumLaunchOptions());
}

/**
 * A browser on a fresh profile of its own. CDP's quota override applies to the browser's default
 * storage partition, which only a persistent context uses (Playwright's newContext() is off the record).
 */
export async function launchProfile(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "idb-reliability-"));
  const context = await chromium.launchPersistentContext(dir, chromiumLaunchOptions());
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Page errors seen, per page: a test asserts there were none. */
export const pageErrors = new WeakMap<Page, string[]>();

export function watch(page: Page): Page {
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /unhandled|uncaught/i.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return page;
}

/** Opens the harness page and waits until the library is loaded. */
export async function openHarness(page: Page, url: string): Promise<Page> {
  watch(page);
  await page.addInitScript(() => {
    window.addEventListener("unhandledrejection", (e) => console.error(`unhandled rejection: ${String(e.reason)}`));
  });
  // Generous: the dev server compiles the library on first load, on a machine shared with others.
  await page.goto(url, { timeout: 120_000 });
  await page.waitForFunction(() => document.title === "ready", undefined, { timeout: 120_000 });
  return page;
}
