// Where a call's time goes: a CPU profile of the page and of the store's worker (Chromium, the
// DevTools protocol's Profiler domain) while the page runs one workload at a time, each beside
// the raw IndexedDB calls it is measured against in the bench. The benches give ratios; this
// gives the breakdown behind them.
//
//   node test/bench/profile.mjs [workload...]        (workloads: see WORKLOADS below; all by default)
//   PROFILE_FUNCTIONS=20 node test/bench/profile.mjs graph   (also the 20 heaviest functions)
//   PROFILE_SAVE=DIR node test/bench/profile.mjs save-1m (also writes each profile to DIR, for DevTools)
//   PROFILE_TRACE=1 node test/bench/profile.mjs graph         (instead: per thread, the wall time of
//     its tasks against the CPU time they got, from Chromium's trace; a thread whose tasks got
//     less CPU than their length waited for a core, which a CPU profile counts as busy)
//
// The page and the worker are bundled unminified from src/ and worker/ (esbuild), so functions
// keep their names. Per workload it prints, per call: wall time; the page's and the worker's
// busy time (samples that were not idle); the rest, during which neither ran JavaScript (the
// browser's database process, messages between threads, the disk); and the worker's heaviest
// functions by self time, grouped by source file.
import { createServer } from "node:http";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright";
import { recordTrace } from "./trace.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const WORKLOADS = ["save-1k", "save-64k", "save-1m", "edit-1m", "load-1k", "load-64k", "load-1m", "memory-put", "memory-get", "events", "graph", "chat"];
/** What a workload's store side is measured against, where it is not raw IndexedDB on the page. */
const BASELINES = { graph: "MemorySaver", chat: "turns of a new chat" };
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : WORKLOADS;
for (const w of chosen) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w}; one of ${WORKLOADS.join(", ")}`);

const out = await mkdtemp(join(tmpdir(), "idb-profile-"));
const profileDir = await mkdtemp(join(tmpdir(), "idb-profile-browser-"));
await build({ entryPoints: { page: join(root, "test/bench/profile-page.ts"), worker: join(root, "worker/main.ts") }, bundle: true, format: "esm", outdir: out, logLevel: "warning", minify: false, keepNames: true });

/** Per bundle, the source module of each line: esbuild marks where each module's code starts. */
const modules = {};
for (const bundle of ["page", "worker"]) {
  const lines = readFileSync(join(out, `${bundle}.js`), "utf8").split("\n");
  let current = "(bundle)";
  modules[bundle] = lines.map((line) => {
    const m = /^\/\/ (\S+\.(?:[cm]?js|ts))$/.exec(line);
    if (m) current = m[1].replace(/^node_modules\/([^/]+)\/.*$/, "$1 (dependency)");
    return current;
  });
}

const html = `<!doctype html><script type="module" src="/page.js"></script>`;
const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (path === "/") return res.writeHead(200, { "content-type": "text/html" }).end(html);
  try {
    const body = await readFile(join(out, path.replace(/^\/+/, "").replace(/\.\./g, "")));
    res.writeHead(200, { "content-type": extname(path) === ".js" ? "text/javascript" : "application/octet-stream" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${server.address().port}`;

const context = await chromium.launchPersistentContext(profileDir, { executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"], headless: true });
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(origin);
  await page.waitForFunction(() => window.bench !== undefined);
  await page.evaluate(() => window.bench.open());
  const cdp = await context.newCDPSession(page);
  const worker = await attachWorker(cdp);
  for (const sessionSend of [(m, p) => cdp.send(m, p), worker]) {
    await sessionSend("Profiler.enable");
    await sessionSend("Profiler.setSamplingInterval", { interval: 50 });
  }
  console.log(`Chromium ${context.browser()?.version() ?? ""}, ${(await page.evaluate(() => navigator.hardwareConcurrency))} cores; ms per call`);
  for (const name of chosen) {
    for (const side of ["store", "raw"]) {
      await page.evaluate(([n, s]) => window.bench.prepare(n, s), [name, side]);
      if (process.env.PROFILE_TRACE) {
        await traceCpu(context, page, name, side);
        continue;
      }
      await cdp.send("Profiler.start");
      await worker("Profiler.start");
      const { calls, ms } = await page.evaluate(([n, s]) => window.bench.run(n, s), [name, side]);
      const pageProfile = (await cdp.send("Profiler.stop")).profile;
      const workerProfile = (await worker("Profiler.stop")).profile;
      if (process.env.PROFILE_SAVE) {
        for (const [who, profile] of [["page", pageProfile], ["worker", workerProfile]]) {
          await writeFile(join(process.env.PROFILE_SAVE, `${name}-${side}-${who}.cpuprofile`), JSON.stringify(profile));
        }
      }
      report(`${name} (${side === "store" ? "store" : BASELINES[name] ?? "raw IndexedDB on the page"})`, calls, ms, pageProfile, side === "store" ? workerProfile : undefined);
    }
  }
} finally {
  await context.close();
  server.close();
  await rm(out, { recursive: true, force: true });
  await rm(profileDir, { recursive: true, force: true });
}

/** One run of a workload under Chromium's tracing: per thread, its tasks' wall and CPU time. */
async function traceCpu(context, page, name, side) {
  const { events, result } = await recordTrace(context, page, ["toplevel", "devtools.timeline"], () =>
    page.evaluate(([n, s]) => window.bench.run(n, s), [name, side]),
  );
  const { calls, ms } = result;
  const names = new Map();
  for (const e of events) if (e.ph === "M" && e.name === "thread_name") names.set(`${e.pid}:${e.tid}`, e.args.name);
  const threads = new Map();
  for (const e of events) {
    // Top-level tasks: a thread's own message loop, and the browser's thread pool (where its
    // IndexedDB backend runs).
    if (e.ph !== "X" || !["ThreadControllerImpl::RunTask", "ThreadPool_RunTask"].includes(e.name) || typeof e.dur !== "number") continue;
    const key = `${e.pid}:${e.tid}`;
    // Pool threads by pool, not one by one.
    const name = (names.get(key) ?? key).replace(/ThreadPool\w*Worker\S*/, "thread pool");
    const groupKey = name === "thread pool" ? `${e.pid}:pool` : key;
    const t = threads.get(groupKey) ?? { name: `${name} (pid ${e.pid})`, wall: 0, cpu: 0 };
    threads.set(groupKey, t);
    t.wall += e.dur / 1000;
    t.cpu += (e.tdur ?? 0) / 1000;
  }
  const per = (x) => (x / calls).toFixed(2);
  const busiest = [...threads.values()].sort((a, b) => b.wall - a.wall).slice(0, 6);
  console.log(`\n${name} (${side}): ${calls} calls, wall ${per(ms)} ms per call; tasks' wall / CPU ms per call by thread:`);
  console.log(`  ${busiest.map((t) => `${t.name} ${per(t.wall)} / ${per(t.cpu)}`).join(" · ")}`);
}

/** A send function for the page's one dedicated worker, over the page's CDP session. */
async function attachWorker(cdp) {
  const { targetInfos } = await cdp.send("Target.getTargets");
  const target = targetInfos.find((t) => t.type === "worker");
  if (!target) throw new Error("the page runs no worker");
  const { sessionId } = await cdp.send("Target.attachToTarget", { targetId: target.targetId, flatten: false });
  const pending = new Map();
  let id = 0;
  cdp.on("Target.receivedMessageFromTarget", (event) => {
    const message = JSON.parse(event.message);
    if (message.id !== undefined) pending.get(message.id)?.(message);
  });
  return (method, params = {}) =>
    new Promise((resolve, reject) => {
      const n = ++id;
      pending.set(n, (m) => (m.error ? reject(new Error(m.error.message)) : resolve(m.result)));
      void cdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id: n, method, params }) });
    });
}

/** Self time per node, in ms, from a V8 CPU profile (samples x their time deltas), with where the function is. */
function selfTimes(profile) {
  const self = new Map();
  profile.samples.forEach((node, i) => self.set(node, (self.get(node) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  return profile.nodes.map((n) => ({ fn: n.callFrame.functionName || "(anonymous)", url: n.callFrame.url, line: n.callFrame.lineNumber, ms: self.get(n.id) ?? 0 }));
}

function busy(profile) {
  return selfTimes(profile).filter((n) => n.fn !== "(idle)").reduce((a, n) => a + n.ms, 0);
}

/** The intervals (µs, the process's clock) in which the profiled thread ran anything but idle. */
function busyIntervals(profile) {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  const out = [];
  let t = profile.startTime;
  profile.samples.forEach((node, i) => {
    const d = profile.timeDeltas[i] ?? 0;
    t += d;
    if (!idle.has(node)) out.push([t - d, t]);
  });
  return out;
}

/** Length (ms) of the union of intervals: time in which at least one of the threads was busy. */
function unionMs(intervals) {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [s, e] of sorted) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total / 1000;
}

/** The source module a profile node's function comes from; undefined for the browser's own. */
function moduleOf(node) {
  const bundle = node.url.endsWith("/worker.js") ? "worker" : node.url.endsWith("/page.js") ? "page" : undefined;
  return bundle ? modules[bundle][node.line] ?? "(bundle)" : undefined;
}

function report(title, calls, ms, pageProfile, workerProfile) {
  const per = (x) => (x / calls).toFixed(3);
  const pageBusy = busy(pageProfile);
  const workerBusy = workerProfile ? busy(workerProfile) : 0;
  const either = unionMs([...busyIntervals(pageProfile), ...(workerProfile ? busyIntervals(workerProfile) : [])]);
  console.log(`\n${title}: ${calls} calls, wall ${per(ms)}; page busy ${per(pageBusy)}${workerProfile ? `; worker busy ${per(workerBusy)}` : ""}; neither thread busy ${per(Math.max(0, ms - either))}`);
  for (const [side, profile] of [["page", pageProfile], ["worker", workerProfile]]) {
    if (!profile) continue;
    // Self time by where it was spent: the module of a JavaScript function, or a browser
    // function by name (IndexedDB requests, postMessage), heaviest first.
    const nodes = selfTimes(profile).filter((node) => node.fn !== "(idle)");
    const bySource = new Map();
    for (const node of nodes) {
      const module = moduleOf(node);
      const key = module ?? `${node.fn} (browser)`;
      bySource.set(key, (bySource.get(key) ?? 0) + node.ms);
    }
    const top = [...bySource].sort((a, b) => b[1] - a[1]).slice(0, 10);
    console.log(`  ${side}: ${top.map(([k, t]) => `${k} ${per(t)}`).join(" · ")}`);
    // PROFILE_FUNCTIONS=n: also the n heaviest functions by self time, each with its module.
    const functions = Number(process.env.PROFILE_FUNCTIONS ?? 0);
    if (functions > 0) {
      const byFunction = new Map();
      for (const node of nodes) {
        const key = `${node.fn} [${moduleOf(node) ?? "browser"}]`;
        byFunction.set(key, (byFunction.get(key) ?? 0) + node.ms);
      }
      const heaviest = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, functions);
      console.log(`  ${side}, by function: ${heaviest.map(([k, t]) => `${k} ${per(t)}`).join(" · ")}`);
    }
  }
}
