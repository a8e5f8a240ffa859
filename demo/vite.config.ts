import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { defineConfig, type Plugin } from "vite";

const demo = import.meta.dirname;
const repo = resolve(demo, "..");

/**
 * The demo imports the package by its public names; here they resolve to the sources, so the
 * demo always runs the code in this checkout.
 */
const alias = {
  "idb-checkpoint/langgraph": resolve(repo, "src/langgraph/index.ts"),
  "idb-checkpoint/worker": resolve(repo, "worker/index.ts"),
  "idb-checkpoint/sync": resolve(repo, "src/sync/index.ts"),
  "idb-checkpoint": resolve(repo, "src/index.ts"),
};

/**
 * Emits sw.js with the list of every file of the build, so the service worker can cache all of
 * them (the store's worker included) on the first visit, before the page needs them offline.
 */
function serviceWorker(): Plugin {
  return {
    name: "demo:service-worker",
    apply: "build",
    generateBundle(_options, bundle) {
      const files = ["./", ...Object.keys(bundle).filter((f) => !f.endsWith(".map")).map((f) => `./${f}`)];
      const version = createHash("sha256").update(files.join("\n")).digest("hex").slice(0, 12);
      const source = readFileSync(resolve(demo, "sw.js"), "utf8")
        .replace("self.__PRECACHE__", JSON.stringify(files))
        .replace("self.__VERSION__", JSON.stringify(version));
      this.emitFile({ type: "asset", fileName: "sw.js", source });
    },
    // The page registers the service worker only where this tag says the build has one.
    transformIndexHtml: () => [{ tag: "meta", attrs: { name: "service-worker", content: "./sw.js" }, injectTo: "head" }],
  };
}

export default defineConfig({
  root: demo,
  // Its own dependency cache, apart from the library's test runs.
  cacheDir: resolve(repo, "node_modules/.vite/demo"),
  // Relative URLs: the built demo works from any path it is served under.
  base: "./",
  resolve: { alias },
  // Pre-bundling would copy the store into one file and lose its `new URL(...)` worker.
  optimizeDeps: {
    exclude: ["idb-checkpoint", "idb-checkpoint/langgraph", "idb-checkpoint/sync"],
    // Found up front, so the first visit of `npm run demo` does not reload the page midway.
    include: ["@langchain/langgraph/web", "@langchain/core/messages", "@langchain/langgraph-checkpoint", "comlink", "idb", "fflate"],
  },
  worker: { format: "es" },
  plugins: [serviceWorker()],
  server: { port: 5173, fs: { allow: [repo] } },
  build: { outDir: resolve(demo, "dist"), emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 2048 },
});
