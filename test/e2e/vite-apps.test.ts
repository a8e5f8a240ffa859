import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright";
import { chromiumLaunchOptions } from "../chromium";
import { cacheRoot, packedTarball, repo, run } from "./packed";

/**
 * A new Vite app of each current major that installs the packed package and imports
 * `idb-checkpoint` and `idb-checkpoint/langgraph` together, with exactly the configuration the
 * README gives for that major (none for Vite 8), run in Chromium under `vite` (dev) and under
 * `vite build` + `vite preview`. Each app folder lives under node_modules/.cache and is installed
 * once with npm (Vite 8 comes from the registry); later runs only swap in the new tarball.
 */
const devDeps = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).devDependencies as Record<string, string>;

/** The README's Vite 7 configuration, taken from the README itself so the two cannot differ. */
const VITE_7_CONFIG = (() => {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const block = /```ts\n(\/\/ vite\.config\.ts for Vite 7[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error("README.md has no ts block starting with // vite.config.ts for Vite 7");
  return block[1];
})();

const MAIN = `import { openStore } from "idb-checkpoint";
import { IndexedDBSaver } from "idb-checkpoint/langgraph";

const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };
const checkpoint = {
  v: 4,
  id: "1ef0000000000000",
  ts: new Date(0).toISOString(),
  channel_values: { greeting: "hello" },
  channel_versions: { greeting: 1 },
  versions_seen: {},
};

async function roundTrip(save: boolean) {
  const store = await openStore({ name: "vite-app" });
  try {
    const saver = new IndexedDBSaver(store);
    if (save) {
      await store.threads.save("t", { from: "app" }, new Uint8Array([7, 8, 9]));
      await saver.put(config, checkpoint, { source: "input", step: -1, parents: {} }, { greeting: 1 });
    }
    const { state, meta } = await store.threads.loadLatest("t");
    const tuple = await saver.getTuple(config);
    return [Array.from(state), meta.metadata, tuple?.checkpoint.channel_values];
  } finally {
    await store.close();
  }
}

Object.assign(window, { roundTrip });
document.body.dataset.ready = "yes";
`;

const EXPECTED = [[7, 8, 9], { from: "app" }, { greeting: "hello" }];

const children: ChildProcess[] = [];
let browser: Browser | undefined;
afterAll(async () => {
  for (const c of children) c.kill();
  await browser?.close();
});

/** The app folder for a Vite major, installed and holding the current tarball. */
function app(major: 7 | 8): string {
  const dir = join(cacheRoot, `vite-${major}-app`);
  mkdirSync(dir, { recursive: true });
  const pkg = {
    name: `vite-${major}-app`,
    private: true,
    type: "module",
    dependencies: {
      "idb-checkpoint": `file:${packedTarball()}`,
      "@langchain/langgraph-checkpoint": devDeps["@langchain/langgraph-checkpoint"],
      "@langchain/core": devDeps["@langchain/core"],
      vite: major === 7 ? devDeps.vite : "^8.0.0",
    },
  };
  const pkgFile = join(dir, "package.json");
  const wanted = JSON.stringify(pkg, null, 2);
  if (!existsSync(join(dir, "node_modules/vite")) || !existsSync(pkgFile) || readFileSync(pkgFile, "utf8") !== wanted) {
    writeFileSync(pkgFile, wanted);
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], dir);
  }
  writeFileSync(join(dir, "index.html"), '<!doctype html><html><head><link rel="icon" href="data:,"></head><body><script type="module" src="./main.ts"></script></body></html>');
  writeFileSync(join(dir, "main.ts"), MAIN);
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `vite` or `vite preview` in the app and resolves once it serves on its port. */
async function serve(dir: string, args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(dir, "node_modules/vite/bin/vite.js"), ...args, "--port", String(port), "--strictPort", "--host", "127.0.0.1"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
    // With CI set, Vite's colours come on even without a terminal and the port is printed in bold:
    // ask for plain text, and strip escapes anyway, so the port is found.
    env: { ...process.env, NO_COLOR: "1" },
  });
  children.push(child);
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log += d.toString().replace(/\u001b\[[0-9;]*m/g, "");
      if (log.includes(`:${port}`)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`vite ${args.join(" ")} exited with ${code}:\n${log}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, child };
}

/**
 * page.evaluate has no timeout of its own: a page that never answers would hold the test for its
 * whole ten minutes. Every library call inside has a deadline of 30 s, so 90 s means a stuck page.
 */
function withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within 90 s`)), 90_000)));
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Opens the app, saves through both entries, reloads, reads back; returns what went wrong. */
async function exercise(url: string): Promise<{ first: unknown; afterReload: unknown; problems: string[] }> {
  browser ??= await chromium.launch(chromiumLaunchOptions());
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  context.on("weberror", (e) => problems.push(`weberror: ${e.error()}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.body?.dataset.ready === "yes", null, { timeout: 60_000 });
    const first = await withDeadline(page.evaluate(() => (window as any).roundTrip(true)), "the first round trip");
    await page.reload();
    await page.waitForFunction(() => document.body?.dataset.ready === "yes", null, { timeout: 60_000 });
    const afterReload = await withDeadline(page.evaluate(() => (window as any).roundTrip(false)), "the round trip after the reload");
    return { first, afterReload, problems };
  } finally {
    await context.close();
  }
}

async function dev(dir: string) {
  // --force: a fresh dependency optimization, as on an app's first start.
  const { url, child } = await serve(dir, ["--force"]);
  try {
    return await exercise(url);
  } finally {
    child.kill();
  }
}

async function built(dir: string) {
  rmSync(join(dir, "dist"), { recursive: true, force: true });
  run(process.execPath, [join(dir, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], dir);
  const { url, child } = await serve(dir, ["preview"]);
  try {
    return await exercise(url);
  } finally {
    child.kill();
  }
}

const cases: Array<{ major: 7 | 8; config: string | undefined; label: string }> = [
  { major: 8, config: undefined, label: "Vite 8 with no configuration" },
  { major: 7, config: VITE_7_CONFIG, label: "Vite 7 with the README's optimizeDeps lines" },
  { major: 8, config: VITE_7_CONFIG, label: "Vite 8 keeping the Vite 7 lines (an app that upgraded)" },
];

describe.each(cases)("$label, importing idb-checkpoint and idb-checkpoint/langgraph", ({ major, config }) => {
  const setup = () => {
    const dir = app(major);
    rmSync(join(dir, "vite.config.js"), { force: true });
    if (config) writeFileSync(join(dir, "vite.config.js"), config);
    return dir;
  };

  it("works in vite dev: the worker starts, both entries save, a reload reads it back", async () => {
    const result = await dev(setup());
    expect(result).toEqual({ first: EXPECTED, afterReload: EXPECTED, problems: [] });
  }, 600_000);

  it("works after vite build, served by vite preview", async () => {
    const result = await built(setup());
    expect(result).toEqual({ first: EXPECTED, afterReload: EXPECTED, problems: [] });
  }, 600_000);
});
