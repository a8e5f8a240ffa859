import type { RunnableConfig } from "@langchain/core/runnables";
import { StoreError, invalid } from "../errors.js";
import { assertId } from "../validate.js";
import { isThreadBusy, withThreadLock } from "../thread-lock.js";

/**
 * Double-texting across tabs: what happens when a thread is run while another run of it is
 * going on (in another tab, or in this one). The strategies are LangGraph server's multitask
 * strategies:
 *   "reject"    the new run rejects at once with THREAD_BUSY; the current run goes on (default).
 *   "enqueue"   the new run waits until the current one has finished, then runs.
 *   "interrupt" the current run is stopped (what it has checkpointed stays), then the new run starts.
 *   "rollback"  the current run is stopped and every checkpoint it made is deleted, then the new
 *               run starts from the state before it.
 * One run at a time per thread comes from the thread lock (Web Locks, src/thread-lock.ts); a
 * BroadcastChannel asks the tab running the thread to stop for "interrupt" and "rollback".
 */
export type MultitaskStrategy = "reject" | "enqueue" | "interrupt" | "rollback";

/** What runThread needs of the checkpointer: an IndexedDBSaver. */
export interface MultitaskSaver {
  /** The store's name: threads are locked per store. */
  readonly storeName: string;
  deleteForRuns(runIds: string[]): Promise<void>;
  /** Resolves when the writes made so far are stored. */
  flush(): Promise<void>;
}

export interface RunThreadOptions {
  /** The graph's checkpointer; a run stopped by "rollback" deletes its checkpoints through it. */
  saver: MultitaskSaver;
  threadId: string;
  /** What to do when the thread is being run elsewhere; "reject" by default, as LangGraph's server. */
  strategy?: MultitaskStrategy;
  /** Gives up waiting (enqueue, interrupt, rollback) or stops this run. */
  signal?: AbortSignal;
  /** Called once when this run has to wait for another (to show "another tab is answering"). */
  onWait?: () => void;
}

export interface ThreadRun {
  /** A new id for this run. */
  runId: string;
  /** Aborted when another run interrupts or rolls back this one (or `options.signal` aborts). */
  signal: AbortSignal;
  /**
   * The config to run the graph with: the thread, the run id in `metadata.run_id` (so
   * deleteForRuns finds its checkpoints) and the signal. Extra fields are merged in.
   */
  config(extra?: RunnableConfig): RunnableConfig;
}

interface StopRequest {
  type: "stop";
  threadId: string;
  strategy: "interrupt" | "rollback";
}

/** Runs of this realm by store and thread: a stop request from this tab reaches them directly. */
const running = new Map<string, { stop(strategy: "interrupt" | "rollback"): void }>();
const channels = new Map<string, BroadcastChannel>();

const runKey = (storeName: string, threadId: string) => JSON.stringify([storeName, threadId]);

function channelFor(storeName: string): BroadcastChannel | undefined {
  if (typeof BroadcastChannel === "undefined") return undefined;
  let channel = channels.get(storeName);
  if (!channel) {
    channel = new BroadcastChannel(`idb-checkpoint:${storeName}:runs`);
    channel.onmessage = (event: MessageEvent<StopRequest>) => {
      const m = event.data;
      if (m?.type === "stop") running.get(runKey(storeName, m.threadId))?.stop(m.strategy);
    };
    channels.set(storeName, channel);
  }
  return channel;
}

function check(options: RunThreadOptions, run: unknown): Required<Pick<RunThreadOptions, "strategy">> {
  if (!options || typeof options !== "object") throw invalid("runThread needs an options object");
  for (const key of Object.keys(options)) {
    if (!["threadId", "strategy", "saver", "signal", "onWait"].includes(key)) throw invalid(`unknown runThread option "${key}"`);
  }
  if (typeof options.saver?.deleteForRuns !== "function" || typeof options.saver.flush !== "function") {
    throw invalid("runThread needs the graph's IndexedDBSaver (options.saver)");
  }
  assertId(options.saver.storeName, "saver.storeName");
  assertId(options.threadId, "threadId");
  const strategy = options.strategy ?? "reject";
  if (!["reject", "enqueue", "interrupt", "rollback"].includes(strategy)) {
    throw invalid(`strategy must be "reject", "enqueue", "interrupt" or "rollback", got ${String(strategy)}`);
  }
  if (typeof run !== "function") throw invalid("runThread needs a function to run");
  return { strategy };
}

/**
 * Runs `fn` as the one run of the thread, following the strategy when another run holds it, and
 * resolves with its result. A run stopped by a later one's "interrupt" or "rollback" rejects
 * with CONFLICT (not retryable), after its rollback when that was asked.
 *
 * ```ts
 * const result = await runThread({ saver, threadId, strategy: "rollback" },
 *   (run) => graph.invoke(input, run.config()));
 * ```
 */
export async function runThread<T>(options: RunThreadOptions, fn: (run: ThreadRun) => Promise<T>): Promise<T> {
  const { strategy } = check(options, fn);
  const { threadId } = options;
  const storeName = options.saver.storeName;
  const channel = channelFor(storeName);
  if ((strategy === "interrupt" || strategy === "rollback") && (await isThreadBusy(storeName, threadId))) {
    // Ask whoever runs the thread to stop; the lock below then waits for it to let go.
    const request: StopRequest = { type: "stop", threadId, strategy };
    running.get(runKey(storeName, threadId))?.stop(strategy);
    channel?.postMessage(request);
  }
  return withThreadLock(
    storeName,
    threadId,
    async () => {
      const controller = new AbortController();
      let stoppedBy: "interrupt" | "rollback" | undefined;
      const onAbort = () => controller.abort(options.signal?.reason);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const runId = newRunId();
      const key = runKey(storeName, threadId);
      running.set(key, {
        stop(by) {
          stoppedBy ??= by;
          controller.abort(new StoreError("CONFLICT", `the run of thread "${threadId}" was stopped by a newer run (strategy "${by}")`, { retryable: false }));
        },
      });
      const run: ThreadRun = {
        runId,
        signal: controller.signal,
        config: (extra = {}) => ({
          ...extra,
          configurable: { ...extra.configurable, thread_id: threadId },
          metadata: { ...extra.metadata, run_id: runId },
          signal: controller.signal,
        }),
      };
      try {
        return await fn(run);
      } catch (e) {
        if (stoppedBy === undefined) throw e;
        // A stopped run's writes still on their way land before the next run reads the thread
        // (or, for a rollback, before its checkpoints are deleted).
        await options.saver.flush();
        if (stoppedBy === "rollback") await options.saver.deleteForRuns([runId]);
        throw controller.signal.reason;
      } finally {
        // Whatever happened, the lock is let go only once this run's writes are stored.
        await options.saver.flush().catch(() => {});
        options.signal?.removeEventListener("abort", onAbort);
        running.delete(key);
      }
    },
    { ifBusy: strategy === "reject" ? "reject" : "wait", signal: options.signal, onWait: options.onWait },
  );
}

function newRunId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
