import { afterAll, expect, it } from "vitest";
import { openStore, type Store } from "../../src/index";
import type { SaverPutRequest } from "../../src/types";
import { makeText, printTable, ratio, round, samplePair, summarize, uniqueDb, writeResults, type Summary } from "./stats";

/**
 * Reads on a thread of 10,000 checkpoints against a thread of 10: they must not grow with it.
 * `list(limit 20)` is compared with a thread of 20, so both lists return the same number of tuples.
 */
const BIG = 10_000;
const SMALL = 10;
const LIST = 20;
const RUNS = 50;
let store: Store;
let few: Store;

afterAll(async () => {
  await store?.close();
  await few?.close();
});

const enc = new TextEncoder();
const cpId = (i: number) => `cp-${String(i).padStart(8, "0")}`;
function putRequest(threadId: string, i: number, state: Uint8Array): SaverPutRequest {
  return {
    threadId,
    ns: "",
    checkpointId: cpId(i),
    parentId: i > 0 ? cpId(i - 1) : undefined,
    v: 4,
    checkpoint: ["json", enc.encode(JSON.stringify({ v: 4, id: cpId(i), ts: new Date(0).toISOString(), versions_seen: {} }))],
    metadata: ["json", enc.encode(JSON.stringify({ source: "loop", step: i }))],
    metadataIndex: { source: '"loop"', step: String(i) },
    channelVersions: { messages: i + 1 },
    blobs: [{ channel: "messages", version: i + 1, value: ["json", state] }],
  };
}

it("reads the latest checkpoint of a 10,000-checkpoint thread as fast as of a 10-checkpoint one", async () => {
  store = await openStore({ name: uniqueDb("scale") });
  const text = makeText(3);
  const state = text.bytes(1024);
  const fill = async (thread: string, n: number) => {
    // Several calls in flight: the worker's queue, not the page, sets the pace.
    for (let i = 0; i < n; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, async (_, j) => {
          await store.threads.save(thread, { i: i + j }, state);
        }),
      );
    }
    for (let i = 0; i < n; i++) await store.saver.put(putRequest(thread, i, state));
  };
  const t = performance.now();
  await fill("small", SMALL);
  await fill("twenty", LIST);
  await fill("big", BIG);
  const fillMs = performance.now() - t;
  expect(await store.threads.count("big")).toBe(BIG);

  // Small and big alternate call by call, so drift on a busy machine hits both alike.
  const ops = {
    loadLatest: (thread: string) => store.threads.loadLatest(thread),
    getTuple: (thread: string) => store.saver.getTuple({ threadId: thread, ns: "" }),
    list20: (thread: string) => store.saver.list({ threadId: thread, ns: "", limit: LIST }),
  };
  const small: Record<string, Summary> = {};
  const big: Record<string, Summary> = {};
  for (const [op, call] of Object.entries(ops)) {
    const smallThread = op === "list20" ? "twenty" : "small";
    const [smallTimes, bigTimes] = await samplePair(RUNS, () => call(smallThread), () => call("big"));
    small[op] = summarize(smallTimes);
    big[op] = summarize(bigTimes);
  }
  expect((await store.saver.list({ threadId: "big", ns: "", limit: 20 })).length).toBe(20);
  expect((await store.saver.getTuple({ threadId: "big", ns: "" }))?.checkpointId).toBe(cpId(BIG - 1));
  // The thread list of an app: the same three threads with one checkpoint each, against this store.
  few = await openStore({ name: uniqueDb("scale-few") });
  for (const thread of ["small", "twenty", "big"]) await few.saver.put(putRequest(thread, 0, state));
  const [fewTimes, manyTimes] = await samplePair(RUNS, () => few.saver.listThreads(), () => store.saver.listThreads());
  small.listThreads = summarize(fewTimes);
  big.listThreads = summarize(manyTimes);
  expect((await store.saver.listThreads()).map((t) => t.threadId)).toEqual(["big", "twenty", "small"]);
  const rows = (["loadLatest", "getTuple", "list20", "listThreads"] as const).map((op) => ({
    op,
    thread: op === "list20" ? `${LIST} vs ${BIG}` : op === "listThreads" ? `3 threads: 3 vs ${BIG + LIST + SMALL} checkpoints` : `${SMALL} vs ${BIG}`,
    "small med": round(small[op].median),
    "small p95": round(small[op].p95),
    "10k med": round(big[op].median),
    "10k p95": round(big[op].p95),
    "10k/small": ratio(big[op].median, small[op].median),
  }));
  printTable(`reads at 10 vs 10,000 checkpoints, ms (target loadLatest 10k/small <= 1.5; fill ${round(fillMs / 1000, 1)} s)`, rows);
  await writeResults("scale", { small, big, fillMs });
});
