import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, preview } from "vite";
import { chromium } from "playwright";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { chromiumLaunchOptions } from "../chromium";
import { linkDeps, packedTarball, repo, run, unpackInto } from "./packed";

/**
 * The package as a user receives it: built and packed by `npm pack`, unpacked into a fresh
 * project's node_modules, then imported by plain Node through the `exports` map, type-checked by
 * tsc as an app would, linted by publint. Catches entries that point at missing files,
 * declarations that are not emitted or do not resolve, and imports of dev-only code.
 */
let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "idb-checkpoint-consumer-"));
  unpackInto(project);
  // The runtime dependencies, the optional peer and the tools, linked from this checkout.
  linkDeps(project, ["idb", "comlink", "fflate", "fake-indexeddb", "@langchain", "vite", "typescript", "@types", "undici-types", "playwright", "playwright-core"]);
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
    expect(dist).toEqual(expect.arrayContaining(["index.js", "worker.js", "langgraph.js", "worker-script.js", "types"]));
    const pkg = JSON.parse(readFileSync(join(project, "node_modules/idb-checkpoint/package.json"), "utf8"));
    for (const entry of Object.values(pkg.exports) as Array<string | Record<string, string>>) {
      if (typeof entry === "object") expect(Object.keys(entry)[0]).toBe("types");
      for (const file of typeof entry === "string" ? [entry] : Object.values(entry)) {
        expect(() => readFileSync(join(project, "node_modules/idb-checkpoint", file))).not.toThrow();
      }
    }
  });

  it("passes publint, strict, with no suggestion either", async () => {
    const tarball = readFileSync(packedTarball());
    const { messages, pkg } = await publint({ pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) }, level: "suggestion", strict: true });
    expect(messages.map((m) => formatMessage(m, pkg, { color: false }))).toEqual([]);
  });

  // One file per resolution mode: every entry with types, imported by name, must resolve to
  // its declarations (not to `any`), and the declarations must check with skipLibCheck off.
  for (const moduleResolution of ["node16", "bundler"] as const) {
    it(`resolves the types of every entry under ${moduleResolution} resolution`, () => {
      const pkg = JSON.parse(readFileSync(join(project, "node_modules/idb-checkpoint/package.json"), "utf8"));
      const typed = Object.entries(pkg.exports as Record<string, string | Record<string, string>>).filter(([, e]) => typeof e === "object" && e.types);
      expect(typed.map(([k]) => k)).toEqual([".", "./worker", "./langgraph", "./sync", "./server", "./testing"]);
      const dir = join(project, `types-${moduleResolution}`);
      mkdirSync(dir, { recursive: true });
      const lines = typed.map(([sub], i) => `import * as entry${i} from "${join("idb-checkpoint", sub)}";\nexport const notAny${i}: IsAny<typeof entry${i}> = false;`);
      writeFileSync(
        join(dir, "entries.ts"),
        [
          "type IsAny<T> = 0 extends 1 & T ? true : false;",
          ...lines,
          'import { openStore, TypedCheckpointStore, jsonCodec, type Store } from "idb-checkpoint";',
          'import { openEngine } from "idb-checkpoint/worker";',
          'import { IndexedDBSaver } from "idb-checkpoint/langgraph";',
          "export async function use(): Promise<void> {",
          '  const store: Store = await openStore({ name: "types" });',
          "  const typedStore = new TypedCheckpointStore(store.blobs, jsonCodec());",
          "  await typedStore.loadLatest(\"trace\", 1n);",
          "  const saver = new IndexedDBSaver(store);",
          '  await saver.getTuple({ configurable: { thread_id: "t" } });',
          '  const engine = await openEngine({ name: "types" });',
          '  const loaded: Uint8Array = (await engine.threads.loadLatest("t")).state;',
          "  void loaded;",
          "}",
        ].join("\n"),
      );
      const module = moduleResolution === "node16" ? "node16" : "esnext";
      // Node's types as a project with a server would have them: the server entry speaks node:http.
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { target: "es2022", module, moduleResolution, lib: ["es2022", "dom"], strict: true, noEmit: true, skipLibCheck: false, types: ["node"] },
          files: ["entries.ts"],
        }),
      );
      writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
      const tsc = join(project, "node_modules/typescript/bin/tsc");
      const out = (() => {
        try {
          return run(process.execPath, [tsc, "-p", dir, "--pretty", "false"], project);
        } catch (e) {
          return String((e as Error).message);
        }
      })();
      // Errors in our declarations are the failures; errors inside other packages' declarations
      // (skipLibCheck is off) are not ours to fix and are left out.
      const ours = out.split("\n").filter((l) => /error TS/.test(l) && !/node_modules\/(?!idb-checkpoint\/)/.test(l));
      expect(ours).toEqual([]);
    });
  }

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

describe("an app with a strict Content-Security-Policy", () => {
  it("starts the exported worker-script.js itself, from its own origin, and passes it to openStore", async () => {
    const app = join(project, "csp-app");
    mkdirSync(join(app, "public"), { recursive: true });
    // The file behind the `idb-checkpoint/worker-script.js` export, found as Node finds it, and
    // copied where the app serves its own files.
    const url = run(process.execPath, ["--input-type=module", "-e", 'console.log(import.meta.resolve("idb-checkpoint/worker-script.js"))'], project).trim();
    copyFileSync(new URL(url), join(app, "public/idb-checkpoint-worker.js"));
    writeFileSync(join(app, "index.html"), '<!doctype html><script type="module" src="./main.js"></script>');
    writeFileSync(
      join(app, "main.js"),
      `import { openStore } from "idb-checkpoint";
      window.violations = [];
      document.addEventListener("securitypolicyviolation", (e) => window.violations.push(e.violatedDirective + " " + e.blockedURI));
      window.roundTrip = async () => {
        const worker = new Worker("/idb-checkpoint-worker.js", { type: "module" });
        const store = await openStore({ name: "csp-app", worker });
        try {
          await store.threads.save("t", { csp: true }, new Uint8Array([1]));
          return (await store.threads.loadLatest("t")).meta.metadata;
        } finally {
          await store.close();
        }
      };
      // A worker from a blob: URL, as libraries that inline their worker start it: the policy
      // must refuse it, or this test would not show that the policy was in force.
      window.blobWorker = () =>
        new Promise((resolve) => {
          const worker = new Worker(URL.createObjectURL(new Blob(["postMessage(1)"], { type: "text/javascript" })));
          worker.onmessage = () => resolve("ran");
          worker.onerror = () => resolve("refused");
        });`,
    );
    const outDir = join(app, "dist");
    await build({ root: app, logLevel: "silent", configFile: false, build: { outDir } });
    const csp = "default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'";
    const server = await preview({ root: app, logLevel: "silent", configFile: false, build: { outDir }, preview: { port: 0, host: "127.0.0.1", headers: { "Content-Security-Policy": csp } } });
    const browser = await chromium.launch(chromiumLaunchOptions());
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      const response = await page.goto(server.resolvedUrls!.local[0]);
      expect(response?.headers()["content-security-policy"]).toBe(csp);
      expect(await page.evaluate(() => (window as any).roundTrip())).toEqual({ csp: true });
      expect(await page.evaluate(() => (window as any).blobWorker())).toBe("refused");
      await page.waitForFunction(() => (window as any).violations.length > 0);
      expect(await page.evaluate(() => (window as any).violations)).toEqual([expect.stringMatching(/^worker-src blob/)]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
