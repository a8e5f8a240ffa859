import { resolve } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type ViteDevServer } from "vite";
import { chromium, type BrowserContext, type Page } from "playwright";
import { chromiumLaunchOptions } from "../chromium";

/**
 * Node side of the sync e2e suites: a Vite dev server for the device page and Chromium profiles
 * (one persistent profile per device, each its own storage, as two machines would have).
 */
const repo = resolve(import.meta.dirname, "../..");

export async function startPageServer(): Promise<{ url: string; origin: string; close(): Promise<void> }> {
  const server: ViteDevServer = await createServer({
    root: repo,
    configFile: false,
    logLevel: "warn",
    resolve: {
      alias: {
        "idb-checkpoint/langgraph": resolve(repo, "src/langgraph/index.ts"),
        "idb-checkpoint/sync": resolve(repo, "src/sync/index.ts"),
        "idb-checkpoint": resolve(repo, "src/index.ts"),
        "vitest/browser": resolve(repo, "test/sync-kit/vitest-browser-stub.ts"),
      },
    },
    worker: { format: "es" },
    // Only these are pre-bundled, all up front: a re-bundle midway would reload the page.
    optimizeDeps: {
      noDiscovery: true,
      include: ["@langchain/langgraph/web", "@langchain/core/messages", "@langchain/core/singletons", "@langchain/langgraph-checkpoint", "comlink", "idb", "fflate"],
    },
    cacheDir: resolve(repo, "node_modules/.vite-sync"),
    server: { host: "127.0.0.1", port: 0, strictPort: false, hmr: false },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === "string") throw new Error("the page server has no port");
  const origin = `http://127.0.0.1:${address.port}`;
  return { url: `${origin}/test/sync-kit/page.html`, origin, close: () => server.close() };
}

export interface Device {
  page: Page;
  context: BrowserContext;
  close(): Promise<void>;
}

/** A device: a fresh Chromium profile with the device page open and a store named `name`. */
export async function openDevice(pageUrl: string, syncUrl: string, token: string, options: Record<string, unknown> = {}): Promise<Device> {
  const dir = mkdtempSync(join(tmpdir(), "idb-sync-device-"));
  const context = await chromium.launchPersistentContext(dir, chromiumLaunchOptions());
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(pageUrl);
  await page.waitForFunction(() => document.title === "ready", undefined, { timeout: 120_000 });
  await page.evaluate(([s, t, o]) => window.device.open("sync-device", s, t, o), [syncUrl, token, options] as const);
  return {
    page,
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
