import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, preview } from "vite";
import { chromium } from "playwright";
import { chromiumLaunchOptions } from "../chromium";

/**
 * The package as a user receives it: built, packed with `npm pack`, unpacked into a fresh
 * project's node_modules, then imported by plain Node through the `exports` map. Catches entries
 * that point at missing files, declarations that are not emitted, and imports of dev-only code.
 */
const repo = resolve(import.meta.dirname, "../..");
let project: string;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

beforeAll(() => {
  run("npm", ["run", "build"], repo);
  project = mkdtempSync(join(tmpdir(), "idb-checkpoint-consumer-"));
  const tarball = run("npm", ["pack", "--pack-destination", project, "--silent"], repo).trim().split("\n").pop()!;
  const pkgDir = join(project, "node_modules", "idb-checkpoint");
  mkdirSync(pkgDir, { recursive: true });
  run("tar", ["-xzf", join(project, tarball), "-C", pkgDir, "--strip-components=1"], project);
  // The runtime dependencies and the optional peer, linked from this checkout instead of
  // downloaded: the test checks our package, not the registry.
  for (const dep of ["idb", "comlink", "fflate", "fake-indexeddb", "@langchain", "vite"]) {
    const target = join(project, "node_modules", dep);
    symlinkSync(join(repo, "node_modules", dep), target, "dir");
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }));
}, 300_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

function node(script: string): string {
  return run(process.execPath, ["--input-type=module", "-e", script], project).trim();
}

describe("the packed package", () => {
  it("ships the built entries and their declaration files", () => {
    const dist = readdirSync(join(project, "node_modules/idb-checkpoint/dist"));
    expect(dist).toEqual(expect.arrayContaining(["index.js", "worker.js", "langgraph.js", "types"]));
    const pkg = JSON.parse(readFileSync(join(project, "node_modules/idb-checkpoint/package.json"), "utf8"));
    for (const entry of Object.values(pkg.exports) as Array<Record<string, string>>) {
      expect(Object.keys(entry)[0]).toBe("types");
      for (const file of Object.values(entry)) {
        expect(() => readFileSync(join(project, "node_modules/idb-checkpoint", file))).not.toThrow();
      }
    }
  });

  it("imports idb-checkpoint/worker in plain Node and saves and loads through the engine", () => {
    const out = node(`
      import "fake-indexeddb/auto";
      import { IDBFactory } from "fake-indexeddb";
      import { openEngine, isStoreError } from "idb-checkpoint/worker";
      const engine = await openEngine({ name: "consumer", indexedDB: new IDBFactory() });
      await engine.threads.save("t", { n: 1 }, new Uint8Array([1, 2, 3]));
      const latest = await engine.threads.loadLatest("t");
      const err = await engine.threads.load("t", "missing").catch((e) => e);
      await engine.close();
      console.log(JSON.stringify([Array.from(latest.state), latest.meta.metadata, isStoreError(err, "NOT_FOUND"), err.constructor.name]));
    `);
    // The built error class keeps its name, minified or not.
    expect(JSON.parse(out)).toEqual([[1, 2, 3], { n: 1 }, true, "StoreError"]);
  });

  it("imports the page entry and the LangGraph entry in plain Node without starting a worker", () => {
    const out = node(`
      const page = await import("idb-checkpoint");
      const lg = await import("idb-checkpoint/langgraph");
      console.log(JSON.stringify([typeof page.openStore, typeof page.StoreError, typeof lg.IndexedDBSaver]));
    `);
    expect(JSON.parse(out)).toEqual(["function", "function", "function"]);
  });

  it("imports the sync client and the sync server entries in plain Node; the server refuses a caller authorize does not know", () => {
    const out = node(`
      const sync = await import("idb-checkpoint/sync");
      const server = await import("idb-checkpoint/server");
      const { MemorySaver } = await import("@langchain/langgraph-checkpoint");
      const saver = server.syncVersions(new MemorySaver());
      const handler = server.createSyncHandler({ saver, feed: server.watchSaver(saver), authorize: () => null });
      const res = await handler(new Request("http://x/sync/pull", { method: "POST" }));
      console.log(JSON.stringify([typeof sync.createSync, res.status]));
    `);
    expect(JSON.parse(out)).toEqual(["function", 401]);
  });

  it("imports the Playwright kit, idb-checkpoint/testing, in plain Node", () => {
    const out = node(`
      const kit = await import("idb-checkpoint/testing");
      let code;
      try { kit.checkExport({ format: "something else" }); } catch (e) { code = e.code; }
      console.log(JSON.stringify([typeof kit.exportStore, typeof kit.importStore, typeof kit.flushEvents, code]));
    `);
    expect(JSON.parse(out)).toEqual(["function", "function", "function", "INVALID_ARGUMENT"]);
  });

  it("bundles the worker as its own file next to the page entry", () => {
    const dist = join(project, "node_modules/idb-checkpoint/dist");
    const index = readFileSync(join(dist, "index.js"), "utf8");
    const match = /new URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url\s*\)/.exec(index);
    expect(match, "dist/index.js starts its worker from a file URL").not.toBeNull();
    expect(() => readFileSync(join(dist, match![1]))).not.toThrow();
  });
});

describe("an app that bundles the packed package with Vite", () => {
  it("starts the worker from its own bundle and keeps a checkpoint across a reload", async () => {
    const app = join(project, "app");
    mkdirSync(app);
    writeFileSync(join(app, "index.html"), '<!doctype html><script type="module" src="./main.js"></script>');
    // What the README tells an app to write, and nothing more.
    writeFileSync(
      join(app, "main.js"),
      `import { openStore } from "idb-checkpoint";
      window.roundTrip = async (save) => {
        const store = await openStore({ name: "consumer-app" });
        try {
          if (save) await store.threads.save("t", { from: "app" }, new Uint8Array([7, 8, 9]));
          const { state, meta } = await store.threads.loadLatest("t");
          return [Array.from(state), meta.metadata];
        } finally {
          await store.close();
        }
      };`,
    );
    const outDir = join(app, "dist");
    await build({ root: app, logLevel: "silent", configFile: false, build: { outDir } });
    const emitted = readdirSync(join(outDir, "assets"));
    expect(emitted.length, "the app's build emits the page bundle and the worker bundle").toBeGreaterThanOrEqual(2);
    const server = await preview({ root: app, logLevel: "silent", configFile: false, build: { outDir }, preview: { port: 0, host: "127.0.0.1" } });
    const browser = await chromium.launch(chromiumLaunchOptions());
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      const url = server.resolvedUrls!.local[0];
      await page.goto(url);
      expect(await page.evaluate(() => (window as any).roundTrip(true))).toEqual([[7, 8, 9], { from: "app" }]);
      await page.reload();
      expect(await page.evaluate(() => (window as any).roundTrip(false))).toEqual([[7, 8, 9], { from: "app" }]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
