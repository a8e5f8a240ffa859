import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { build, preview, type PreviewServer } from "vite";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright";
import { chromiumLaunchOptions } from "../chromium";
import { freePort, startPostgres, type Postgres } from "../sync-kit/postgres";
import { startSyncServer, type SyncServer } from "../sync-kit/server";

/**
 * The built demo with a sync server (what `npm run demo:sync-server` starts): a conversation
 * made in one browser profile shows in a second one, with the sync status in the header; opened
 * without `?sync=` the demo shows no sync status at all.
 */
const repo = resolve(import.meta.dirname, "../..");
let outDir: string;
let site: PreviewServer;
let baseUrl: string;
let pg: Postgres;
let server: SyncServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const problems: string[] = [];

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), "idb-checkpoint-demo-sync-"));
  const configFile = join(repo, "demo/vite.config.ts");
  await build({ configFile, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  site = await preview({ configFile, logLevel: "warn", build: { outDir }, preview: { host: "127.0.0.1", port: await freePort(), strictPort: true } });
  baseUrl = site.resolvedUrls!.local[0];
  pg = await startPostgres();
  server = await startSyncServer(pg.url, 0, {
    allowOrigin: new URL(baseUrl).origin,
    authorize: (request) => (request.headers.get("authorization") === "Bearer demo" ? { id: "demo", canRead: () => true, canWrite: () => true } : null),
  });
  browser = await chromium.launch(chromiumLaunchOptions());
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await server?.close();
  pg?.destroy();
  await site?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** A profile of its own (own IndexedDB), with the demo open, synced with the server or not. */
async function profile(withSync: boolean): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(withSync ? `${baseUrl}?sync=${encodeURIComponent(server.url)}` : baseUrl);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

it("shows a conversation made in one profile in a second one, with the sync status in the header", async () => {
  const a = await profile(true);
  await expect.poll(() => a.getByTestId("sync-status").getAttribute("data-state"), { timeout: 30_000 }).toBe("synced");
  await a.getByTestId("new-thread").click();
  await a.waitForSelector(".thread.active");
  const thread = (await a.locator(".thread.active").getAttribute("data-thread-id"))!;
  await a.getByTestId("composer").fill("what is 6 * 7");
  await a.getByTestId("composer").press("Enter");
  await a.getByTestId("approval").waitFor();
  await a.getByTestId("approve").click();
  await expect.poll(() => a.getByTestId("approval").count()).toBe(0);
  const userA = await a.getByTestId("msg-user").allTextContents();
  const agentA = await a.getByTestId("agent-text").allTextContents();
  await expect.poll(async () => (await server.pool.query("SELECT count(*) AS n FROM checkpoints WHERE thread_id = $1", [thread])).rows[0].n > 0, { timeout: 30_000 }).toBe(true);
  await expect.poll(() => a.getByTestId("sync-status").getAttribute("data-state"), { timeout: 30_000 }).toBe("synced");

  const b = await profile(true);
  await expect.poll(() => b.locator(`[data-thread-id="${thread}"]`).count(), { timeout: 30_000 }).toBe(1);
  await b.locator(`[data-thread-id="${thread}"]`).first().click();
  await expect.poll(() => b.getByTestId("msg-user").allTextContents(), { timeout: 30_000 }).toEqual(userA);
  expect(await b.getByTestId("agent-text").allTextContents()).toEqual(agentA);
  expect(await b.getByTestId("sync-status").textContent()).toContain("Synced");

  const offline = await profile(false);
  expect(await offline.getByTestId("sync-status").count()).toBe(0);
  expect(await offline.locator(`[data-thread-id="${thread}"]`).count()).toBe(0);
  expect(problems).toEqual([]);
});
