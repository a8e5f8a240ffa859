// Where a later visit's openStore spends its time, phase by phase, from Chromium's own trace of
// the worker thread (the DevTools protocol's Tracing domain). The open bench
// (open.bench.test.ts) gives the totals; this gives the breakdown behind them.
//
//   npm run build && node test/bench/open-trace.mjs [runs] [worker script path]
//
// Serves the repository as it is (dist/ byte for byte, as an app serves it), opens one store in
// a page on a profile on disk, then per run traces one more openStore of the same database with
// the built worker. Per run it prints, in ms from the worker thread's start: when the script's
// response arrived, how long V8 compiled and evaluated it, how long the worker took from the
// open message to its reply, and the page's openStore time; then the medians, and an empty
// module worker's start-and-answer time measured in the same page (the floor).
import { createServer } from "node:http";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright";
import { recordTrace } from "./trace.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const runs = Number(process.argv[2] ?? 8);
const script = process.argv[3] ?? "/dist/worker-script.js";

const page = `<!doctype html><script type="importmap">{"imports":{
  "comlink":"/node_modules/comlink/dist/esm/comlink.mjs","idb":"/node_modules/idb/build/index.js","fflate":"/node_modules/fflate/esm/browser.js"}}</script>
<script type="module">
import { openStore } from "/dist/index.js";
window.open_ = async (name, script) => {
  const t = performance.now();
  const store = await openStore({ name, worker: new Worker(script, { type: "module", name: "idb-checkpoint:" + name }) });
  const ms = performance.now() - t;
  await store.threads.count("x");
  await store.close();
  return ms;
};
window.empty = async () => {
  const url = URL.createObjectURL(new Blob(["postMessage(1)"], { type: "text/javascript" }));
  const t = performance.now();
  const w = new Worker(url, { type: "module" });
  await new Promise((r) => (w.onmessage = r));
  const ms = performance.now() - t;
  w.terminate();
  return ms;
};
window.ready = true;
</script>`;

const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (path === "/") return res.writeHead(200, { "content-type": "text/html" }).end(page);
  const file = normalize(join(root, decodeURIComponent(path)));
  if (!file.startsWith(root.replace(/[\\/]$/, "") + sep)) return res.writeHead(404).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": [".js", ".mjs"].includes(extname(file)) ? "text/javascript" : "application/octet-stream", "cache-control": "no-cache" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${server.address().port}`;

const profile = await mkdtemp(join(tmpdir(), "idb-checkpoint-open-trace-"));
// As test/chromium.ts launches it (a .ts file plain Node cannot import).
const executablePath = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
const context = await chromium.launchPersistentContext(profile, {
  ...(executablePath ? { executablePath } : {}),
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const tab = await context.newPage();
await tab.goto(origin);
await tab.waitForFunction(() => window.ready);
await tab.evaluate(([s]) => window.open_("trace", s), [script]);

/** One traced open: the worker thread's events, and the page's time. */
async function tracedOpen() {
  const { events, result: ms } = await recordTrace(context, tab, ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "v8.execute"], () =>
    tab.evaluate(([s]) => window.open_("trace", s), [script]),
  );
  const threads = new Map();
  for (const e of events) if (e.ph === "M" && e.name === "thread_name" && e.args.name === "DedicatedWorker thread") threads.set(`${e.pid}:${e.tid}`, []);
  for (const e of events) threads.get(`${e.pid}:${e.tid}`)?.push(e);
  // The worker of this open: the one that compiled the script.
  const mine = [...threads.values()].find((list) => list.some((e) => e.name === "v8.compileModule"));
  if (!mine) throw new Error("no worker compiled a module in the trace");
  const timed = mine.filter((e) => typeof e.ts === "number" && e.ts > 0).sort((a, b) => a.ts - b.ts);
  const t0 = timed[0].ts;
  const find = (name) => timed.find((e) => e.name === name);
  const compile = find("v8.compileModule");
  const evaluate = find("v8.evaluateModule");
  const message = timed.find((e) => e.name === "HandlePostMessage" && e.dur !== undefined && e.ts > evaluate.ts);
  const reply = timed.find((e) => e.name === "SchedulePostMessage" && e.ts > message.ts);
  const at = (e) => (e.ts - t0) / 1000;
  return {
    response: at(find("ResourceReceiveResponse")),
    compile: compile.dur / 1000,
    evaluate: evaluate.dur / 1000,
    openToReply: (reply.ts - message.ts) / 1000,
    reply: at(reply),
    page: ms,
  };
}

const rows = [];
const empties = [];
for (let i = 0; i < runs; i++) {
  rows.push(await tracedOpen());
  empties.push(await tab.evaluate(() => window.empty()));
}
await context.close();
server.close();
await rm(profile, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const keys = ["response", "compile", "evaluate", "openToReply", "reply", "page"];
console.log(`openStore on an existing database with ${script}, ms (worker phases from its thread's start)`);
console.log(keys.map((k) => k.padStart(12)).join(""));
for (const r of rows) console.log(keys.map((k) => r[k].toFixed(1).padStart(12)).join(""));
console.log(keys.map((k) => median(rows.map((r) => r[k])).toFixed(1).padStart(12)).join(""), " medians");
console.log(`empty module worker, started and heard from: ${median(empties).toFixed(1)} ms (median of ${runs})`);
