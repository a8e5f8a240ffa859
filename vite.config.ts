import { resolve } from "node:path";
import { defineConfig } from "vitest/config";
import { playwright } from "@vitest/browser-playwright";
import { chromiumLaunchOptions } from "./test/chromium";
import { engineInstances } from "./test/engines/instances";
import { nodeCommands } from "./test/node-commands";
import { workerHeap } from "./test/bench/worker-heap";
import { serveBuilt } from "./test/bench/serve-built";
import { lazyModule } from "./build/lazy-module";
import { minifyWorker } from "./build/minify-worker";

const root = import.meta.dirname;

const alias = {
  "idb-checkpoint/langgraph": resolve(root, "src/langgraph/index.ts"),
  "idb-checkpoint/worker": resolve(root, "worker/index.ts"),
  "idb-checkpoint/sync": resolve(root, "src/sync/index.ts"),
  "idb-checkpoint/server": resolve(root, "src/server/index.ts"),
  "idb-checkpoint/testing": resolve(root, "src/testing/index.ts"),
  "idb-checkpoint": resolve(root, "src/index.ts"),
};

/**
 * Dependencies the browser suites import, pre-bundled before the first test: one found later
 * (fflate, reached only from a test file's import) makes Vite re-optimize and reload the page
 * mid-run, which reruns or drops tests.
 */
const browserDeps = ["fflate", "comlink", "idb", "idb-keyval", "fast-check", "@langchain/langgraph/web", "@langchain/langgraph-checkpoint", "@langchain/core/runnables", "@langchain/core/singletons"];

/** A browser project with commands of its own besides the shared ones, run in Node beside Playwright. */
const withCommands = <P extends { test: { browser: { commands?: object } } }>(project: P, commands: Record<string, unknown>): P => {
  project.test.browser.commands = { ...project.test.browser.commands, ...commands };
  return project;
};

const browserProject = (
  name: string,
  include: string[],
  extra: Record<string, unknown> = {},
  provider = playwright({ launchOptions: chromiumLaunchOptions() }),
  engines: "all" | "chromium" | "others" = "all",
) => ({
  resolve: { alias },
  optimizeDeps: { include: browserDeps },
  test: {
    name,
    include,
    globals: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    ...extra,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      // Chromium through Playwright, Firefox and WebKitGTK through providers of their own
      // (test/engines/), each set on its instance; IDB_BROWSERS narrows the list.
      instances:
        engines === "chromium"
          ? [{ browser: "chromium" as const, provider }]
          : engineInstances(provider).filter((i) => engines === "all" || i.browser !== "chromium" || process.env.IDB_BROWSERS),
      commands: nodeCommands,
    },
  },
});

/**
 * Vite writes the worker's URL into a library build as a root path marked `@vite-ignore`: the
 * page would look for the worker at the site's root, and the app's own bundler would skip it and
 * never copy it. Rewritten relative and unmarked, the browser finds the worker next to the entry
 * that starts it, and Vite, webpack 5 and Parcel in the app see the standard
 * `new Worker(new URL(...))` and bundle the worker themselves.
 */
const keepWorkerUrlVisible = {
  name: "idb-checkpoint:keep-worker-url-visible",
  apply: "build" as const,
  generateBundle(_: unknown, bundle: Record<string, { type: string; code?: string }>) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type === "chunk" && chunk.code) chunk.code = chunk.code.replace(/new URL\(\s*\/\* @vite-ignore \*\/\s*"\/([^"]+)"/g, 'new URL("./$1"');
    }
  },
};

export default defineConfig({
  resolve: { alias },
  plugins: [keepWorkerUrlVisible],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    lib: {
      entry: {
        index: resolve(root, "src/index.ts"),
        worker: resolve(root, "worker/index.ts"),
        langgraph: resolve(root, "src/langgraph/index.ts"),
        sync: resolve(root, "src/sync/index.ts"),
        server: resolve(root, "src/server/index.ts"),
        // The Playwright kit: Node-side, its own entry, never imported by the others.
        testing: resolve(root, "src/testing/index.ts"),
      },
      formats: ["es"],
    },
    rollupOptions: {
      // Dependencies stay imports: the app's bundler dedupes them, and Node resolves them.
      external: [/^idb(\/.*)?$/, /^comlink/, /^fflate/, /^@langchain\//, /^node:/],
    },
  },
  worker: {
    format: "es",
    // What the worker does before it can answer openStore: fetch and compile its code (minified),
    // run its top level (fflate's tables wait for the first compression). See build/.
    plugins: () => [lazyModule({ module: /[\\/]fflate[\\/]esm[\\/]browser\.js$/, exports: ["deflateSync", "inflateSync"] }), minifyWorker()],
    // One self-contained file (Comlink, idb and fflate inside) under a fixed name: the page entry
    // starts it, and apps with a strict CSP start it themselves from the `worker-script.js` export.
    rollupOptions: { output: { entryFileNames: "worker-script.js" } },
  },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          // LangGraph's conformance suite calls describe/it/expect as globals.
          name: "langgraph",
          include: ["test/langgraph/**/*.test.ts"],
          environment: "node",
          globals: true,
          testTimeout: 60_000,
        },
      },
      browserProject("browser", ["test/browser/**/*.test.ts"]),
      {
        resolve: { alias },
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      // Benchmarks run one file at a time on a profile on disk: what users' browsers do. An
      // off-the-record context keeps IndexedDB in memory, where no write waits for the disk.
      // The build (dist/) is served as it is, as an app serves it (test/bench/serve-built.ts).
      Object.assign(withCommands(
        browserProject(
          "bench",
          ["test/bench/**/*.bench.test.ts"],
          { testTimeout: 1_200_000, fileParallelism: false },
          playwright({ launchOptions: chromiumLaunchOptions(), persistentContext: resolve(root, "node_modules/.cache/bench-profile") }),
          // The README's main figures are Chromium's; bench-engines below runs the same files elsewhere.
          "chromium",
        ),
        // The worker's heap after a workload, read over the DevTools protocol.
        { workerHeap },
      ), { plugins: [serveBuilt(root)] }),
      // The same benchmarks in Firefox and WebKit, for the README's per-engine figures (ratios
      // against the same engine's raw IndexedDB). Firefox runs on a profile on disk; WebKitGTK's
      // automation sessions keep website data in memory, which its figures say.
      Object.assign(browserProject(
        "bench-engines",
        ["test/bench/**/*.bench.test.ts"],
        { testTimeout: 1_200_000, fileParallelism: false },
        undefined,
        "others",
      ), {
        // Cross-origin isolated, so that performance.now() is precise enough for sub-millisecond
        // calls: Firefox and WebKit round it to 1 ms on other pages.
        server: { headers: { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } },
        plugins: [serveBuilt(root)],
      }),
    ],
  },
});
