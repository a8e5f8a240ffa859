import { changeChannelName, engineLockPrefix } from "../changes/index.js";
import { StoreError } from "../errors.js";
import { deleteDatabaseInPage, flushEventsInPage, readDatabaseInPage } from "./in-page.js";
import { storeName, type KitPage } from "./page.js";

/** What a page stored, by contract, as a test wants to assert on it. */
export interface StoredSummary {
  exists: boolean;
  schemaVersion: number;
  /** Every thread id found in any contract, in id order. */
  threads: Array<{
    threadId: string;
    /** Thread checkpoints (store.threads). */
    checkpoints: number;
    /** LangGraph checkpoints of every namespace (store.saver / IndexedDBSaver). */
    saverCheckpoints: number;
    /** Written turns (store.events) and how many of them are finished. */
    turns: number;
    finishedTurns: number;
    /** Written events of every turn (buffered ones count once flushEvents wrote them). */
    events: number;
  }>;
  runs: Array<{ runId: string; status: string; checkpoints: number; events: number }>;
  traces: Array<{ traceId: string; checkpoints: number }>;
  /** Rows per object store. */
  rows: Record<string, number>;
}

type Thread = StoredSummary["threads"][number];

/**
 * Lists what the page's store holds, from its rows (the key layouts are the worker's: see
 * worker/thread-store.ts, saver-rows.ts, event-store.ts, run-store.ts, blob-store.ts).
 */
export async function listStored(page: KitPage, options: { name: string }): Promise<StoredSummary> {
  const name = storeName(options, "listStored");
  const dump = await page.evaluate(readDatabaseInPage, name);
  const threads = new Map<string, Thread>();
  const runs = new Map<string, StoredSummary["runs"][number]>();
  const traces = new Map<string, number>();
  const thread = (id: string) => {
    let t = threads.get(id);
    if (!t) threads.set(id, (t = { threadId: id, checkpoints: 0, saverCheckpoints: 0, turns: 0, finishedTurns: 0, events: 0 }));
    return t;
  };
  const run = (id: string) => {
    let r = runs.get(id);
    if (!r) runs.set(id, (r = { runId: id, status: "unknown", checkpoints: 0, events: 0 }));
    return r;
  };
  const rows: Record<string, number> = {};
  for (const store of dump.stores) {
    rows[store.name] = store.records.length;
    for (const [key, value] of store.records) {
      if (!Array.isArray(key)) continue;
      const [a, b, c] = key as unknown[];
      const id = typeof c === "string" ? c : "";
      if (store.name === "meta") {
        if (a === "t" && b === "cp") thread(id).checkpoints++;
        else if (a === "s" && b === "ti") thread(id).saverCheckpoints++;
        else if (a === "e" && b === "turn") {
          const t = thread(id);
          t.turns++;
          if ((value as { finished?: unknown })?.finished === true) t.finishedTurns++;
        } else if (a === "r" && b === "run") run(id).status = String((value as { status?: unknown })?.status ?? "unknown");
        else if (a === "r" && b === "cp") run(id).checkpoints++;
        else if (a === "b" && b === "tr") traces.set(id, (traces.get(id) ?? 0) + 1);
      } else if (store.name === "events") {
        if (a === "e" && typeof b === "string") thread(b).events++;
        else if (a === "r" && typeof b === "string") run(b).events++;
      }
    }
  }
  const byKey = <T>(m: Map<string, T>) => [...m.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, v]) => v);
  return {
    exists: dump.exists,
    schemaVersion: dump.version,
    threads: byKey(threads),
    runs: byKey(runs),
    traces: [...traces.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([traceId, checkpoints]) => ({ traceId, checkpoints })),
    rows,
  };
}

/**
 * Deletes the page's store. A store the app has open steps aside (it is told "versionchange")
 * and starts empty on its next call; reload the page for a clean start.
 */
export async function clearStore(page: KitPage, options: { name: string }): Promise<void> {
  await page.evaluate(deleteDatabaseInPage, storeName(options, "clearStore"));
}

/**
 * Resolves once every open store of the page's origin has written its buffered events (appends
 * are buffered for up to eventFlushMs). Resolves with how many stores answered: 0 when none is
 * open. Rejects with TIMEOUT when one does not answer, with DATABASE_CLOSED when a write failed.
 */
export async function flushEvents(page: KitPage, options: { name: string; timeoutMs?: number }): Promise<{ stores: number }> {
  const name = storeName(options, "flushEvents");
  let answer: { engines: number; errors: string[] };
  try {
    answer = await page.evaluate(flushEventsInPage, { channel: changeChannelName(name), lockPrefix: engineLockPrefix(name), timeoutMs: options.timeoutMs ?? 10_000 });
  } catch (e) {
    throw new StoreError("TIMEOUT", `flushEvents: ${(e as Error).message}`, { cause: e });
  }
  if (answer.errors.length) throw new StoreError("DATABASE_CLOSED", `flushEvents: a store could not write its events: ${answer.errors.join("; ")}`);
  return { stores: answer.engines };
}
