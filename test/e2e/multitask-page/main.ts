import * as lg from "@langchain/langgraph/web";
import { openStore, isStoreError } from "../../../src/index";
import { IndexedDBSaver, runThread, type MultitaskStrategy } from "../../../src/langgraph/index";
import { buildSlowGraph } from "../../langgraph/multitask-graph";

/**
 * One tab of the double-texting tests: a store, the slow graph on IndexedDBSaver, and `start`,
 * which runs the thread with a strategy and keeps the outcome as plain data for Playwright.
 */
const store = await openStore({ name: "multitask" });
const saver = new IndexedDBSaver(store);
const graph = buildSlowGraph(lg, saver, 150);
const outcomes = new Map<string, { done: boolean; ok?: boolean; code?: string; retryable?: boolean; message?: string; waited?: boolean }>();

const page = {
  start(label: string, threadId: string, strategy: MultitaskStrategy): void {
    const o: { done: boolean; ok?: boolean; code?: string; retryable?: boolean; message?: string; waited?: boolean } = { done: false, waited: false };
    outcomes.set(label, o);
    runThread({ saver, threadId, strategy, onWait: () => (o.waited = true) }, (run) => graph.invoke({ label }, run.config())).then(
      () => Object.assign(o, { done: true, ok: true }),
      (e: unknown) => Object.assign(o, { done: true, ok: false, code: isStoreError(e) ? e.code : `raw ${(e as Error)?.name}`, retryable: isStoreError(e) ? e.retryable : undefined, message: String((e as Error)?.message) }),
    );
  },
  outcome: (label: string) => outcomes.get(label),
  async log(threadId: string): Promise<string[]> {
    return (await graph.getState({ configurable: { thread_id: threadId } })).values.log ?? [];
  },
  /** Every log entry any checkpoint of the thread ever held: a rolled-back run leaves none. */
  async everLogged(threadId: string): Promise<string[]> {
    const seen = new Set<string>();
    for await (const t of saver.list({ configurable: { thread_id: threadId } })) for (const x of (t.checkpoint.channel_values.log as string[] | undefined) ?? []) seen.add(x);
    return [...seen].sort();
  },
};

declare global {
  interface Window {
    multitask: typeof page;
  }
}
window.multitask = page;
document.title = "ready";
