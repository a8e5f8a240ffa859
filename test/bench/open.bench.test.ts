import { expect, it } from "vitest";
import { openStore } from "../../src/index";
import { openEngine } from "../../worker/index";
import { printTable, ratio, round, summarize, uniqueDb, writeResults } from "./stats";

/**
 * How long openStore takes: on a database that does not exist yet (first visit: the worker
 * starts, the schema is created) and on one that does (a later visit), each against a raw
 * indexedDB.open of a new and of an existing database on the page, in turns. The engine's own
 * share is timed too (openEngine on the page, no worker): the rest is starting the worker, which
 * here loads its modules one by one from Vite's dev server; an app's build gives it one file.
 */
const RUNS = 8;

function rawOpen(name: string): Promise<number> {
  const t = performance.now();
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    for (const s of ["blobs", "meta", "events"]) open.result.createObjectStore(s);
  };
  return new Promise((resolve, reject) => {
    open.onsuccess = () => {
      const ms = performance.now() - t;
      open.result.close();
      resolve(ms);
    };
    open.onerror = () => reject(open.error);
  });
}

async function storeOpen(name: string): Promise<number> {
  const t = performance.now();
  const store = await openStore({ name });
  const ms = performance.now() - t;
  expect(await store.threads.count("x")).toBe(0);
  await store.close();
  return ms;
}

/**
 * The worker as an app's build ships it: dist/worker-script.js, one file (`npm run build`, or
 * npm ci's prepare, makes it), served as it is (test/bench/serve-built.ts). Undefined when there
 * is no build.
 */
const BUILT_WORKER = "/dist/worker-script.js";
const haveBuild = fetch(BUILT_WORKER, { method: "HEAD" }).then((r) => r.ok, () => false);

/** The floor for any store in a worker: an empty module worker started and heard from once. */
async function emptyWorker(): Promise<number> {
  const url = URL.createObjectURL(new Blob(["postMessage(1)"], { type: "text/javascript" }));
  const t = performance.now();
  const w = new Worker(url, { type: "module" });
  await new Promise((resolve) => (w.onmessage = resolve));
  const ms = performance.now() - t;
  w.terminate();
  URL.revokeObjectURL(url);
  return ms;
}

async function builtOpen(name: string): Promise<number> {
  const t = performance.now();
  const store = await openStore({ name, worker: new Worker(BUILT_WORKER, { type: "module" }) });
  const ms = performance.now() - t;
  expect(await store.threads.count("x")).toBe(0);
  await store.close();
  return ms;
}

async function engineOpen(name: string): Promise<number> {
  const t = performance.now();
  const engine = await openEngine({ name });
  const ms = performance.now() - t;
  await engine.close();
  return ms;
}

it("opens a store about as fast as IndexedDB opens a database", async () => {
  const first: number[] = [];
  const later: number[] = [];
  const rawFirst: number[] = [];
  const rawLater: number[] = [];
  const engineFirst: number[] = [];
  const engineLater: number[] = [];
  const builtFirst: number[] = [];
  const builtLater: number[] = [];
  const empty: number[] = [];
  const built = await haveBuild;
  if (!built) console.warn(`no ${BUILT_WORKER}: the built worker's figures are left out (npm run build makes it)`);
  for (let i = 0; i < RUNS; i++) {
    const name = uniqueDb("open");
    const rawName = uniqueDb("open-raw");
    if (i % 2 === 0) {
      first.push(await storeOpen(name));
      rawFirst.push(await rawOpen(rawName));
    } else {
      rawFirst.push(await rawOpen(rawName));
      first.push(await storeOpen(name));
    }
    later.push(await storeOpen(name));
    rawLater.push(await rawOpen(rawName));
    const engineName = uniqueDb("open-engine");
    engineFirst.push(await engineOpen(engineName));
    engineLater.push(await engineOpen(engineName));
    if (built) {
      const builtName = uniqueDb("open-built");
      builtFirst.push(await builtOpen(builtName));
      builtLater.push(await builtOpen(builtName));
    }
    empty.push(await emptyWorker());
  }
  const [f, l, rf, rl, ef, el] = [first, later, rawFirst, rawLater, engineFirst, engineLater].map(summarize);
  const emptyMs = summarize(empty).median;
  const data = {
    firstMs: round(f.median),
    firstMaxMs: round(f.max),
    laterMs: round(l.median),
    rawFirstMs: round(rf.median),
    rawLaterMs: round(rl.median),
    engineFirstMs: round(ef.median),
    engineLaterMs: round(el.median),
    emptyWorkerMs: round(emptyMs),
    ...(built
      ? {
          builtWorkerFirstMs: round(summarize(builtFirst).median),
          builtWorkerLaterMs: round(summarize(builtLater).median),
          // The built worker's later-visit open against the floor measured in the same run.
          builtLaterOverEmpty: ratio(summarize(builtLater).median, emptyMs),
        }
      : {}),
    firstOverRaw: ratio(f.median, rf.median),
    laterOverRaw: ratio(l.median, rl.median),
    target: "first <= 250 ms, later <= 40 ms",
  };
  printTable("openStore, ms (median of 8; the first of a run also starts the page's first worker)", [data]);
  await writeResults("open", { ...data, first, later, rawFirst, rawLater, engineFirst, engineLater, builtFirst, builtLater, empty });
});
