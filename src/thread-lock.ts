import { StoreError, invalid } from "./errors.js";
import { assertId } from "./validate.js";
import { lockManager, locksSpanTabs } from "./locks.js";

/**
 * One run of a thread at a time, across every tab and worker of the origin. Built on the Web
 * Locks API (`navigator.locks`): the browser queues the waiters and frees a lock when the tab
 * holding it dies, so a crashed tab never leaves a thread locked. Where the API is missing (Node,
 * Safari before 15.4) a lock of this JavaScript realm stands in: it serializes runs within the
 * page, not across tabs.
 */

export interface ThreadLockOptions {
  /**
   * What to do when another tab (or another run in this one) holds the thread:
   * "wait" (default) queues behind it; "reject" rejects at once with THREAD_BUSY and runs nothing.
   */
  ifBusy?: "wait" | "reject";
  /** Gives up waiting: the call rejects with the signal's reason and runs nothing. */
  signal?: AbortSignal;
  /** Called once, before waiting, when the thread is held elsewhere (to show "another tab is running this"). */
  onWait?: () => void;
}

export interface ThreadLockInfo {
  /** The store (database) name the lock belongs to. */
  storeName: string;
  threadId: string;
}

const PREFIX = "idb-checkpoint";

/** The Web Locks name of a thread of a store; other code of the app may request it too. */
export function threadLockName(storeName: string, threadId: string): string {
  return `${PREFIX}:${storeName}:thread:${threadId}`;
}

/** True when the locks of this function are shared across tabs (the Web Locks API exists here). */
export function threadLocksSpanTabs(): boolean {
  return locksSpanTabs();
}

function busy(storeName: string, threadId: string): StoreError {
  return new StoreError("THREAD_BUSY", `thread "${threadId}" of store "${storeName}" is being run elsewhere (another tab, or another run in this one)`, {
    retryable: true,
  });
}

function check(storeName: string, threadId: string, fn: unknown, options: ThreadLockOptions): void {
  assertId(storeName, "storeName");
  assertId(threadId, "threadId");
  if (typeof fn !== "function") throw invalid("withThreadLock needs a function to run");
  if (typeof options !== "object" || options === null) throw invalid("withThreadLock's options must be an object");
  for (const key of Object.keys(options)) {
    if (!["ifBusy", "signal", "onWait"].includes(key)) throw invalid(`unknown withThreadLock option "${key}"`);
  }
  if (options.ifBusy !== undefined && options.ifBusy !== "wait" && options.ifBusy !== "reject") {
    throw invalid(`ifBusy must be "wait" or "reject", got ${String(options.ifBusy)}`);
  }
  if (options.onWait !== undefined && typeof options.onWait !== "function") throw invalid("onWait must be a function");
  if (options.signal !== undefined && !(typeof options.signal === "object" && options.signal !== null && "aborted" in options.signal)) {
    throw invalid("signal must be an AbortSignal");
  }
}

/**
 * Runs `fn` while this tab alone holds `threadId` of store `storeName`, and resolves with its
 * result. The lock is released when `fn` settles, or when the tab dies.
 */
export async function withThreadLock<T>(
  storeName: string,
  threadId: string,
  fn: (info: ThreadLockInfo) => Promise<T> | T,
  options: ThreadLockOptions = {},
): Promise<T> {
  check(storeName, threadId, fn, options);
  const info: ThreadLockInfo = { storeName, threadId };
  const name = threadLockName(storeName, threadId);
  options.signal?.throwIfAborted();
  const locks = lockManager();
  // Try without waiting first: tells "reject" callers the answer, and "wait" callers whether to call onWait.
  let ran = false;
  let result: T | undefined;
  await locks.request(name, { ifAvailable: true }, async (lock: unknown) => {
    if (lock === null) return;
    ran = true;
    result = await fn(info);
  });
  if (ran) return result as T;
  if (options.ifBusy === "reject") throw busy(storeName, threadId);
  options.onWait?.();
  const { signal } = options;
  let started = false;
  try {
    return (await locks.request(name, signal ? { signal } : {}, () => ((started = true), fn(info)))) as T;
  } catch (e) {
    // WebKit rejects an aborted wait with an AbortError of its own; Chromium and Firefox, as the
    // spec says, with the signal's reason, which is what this function promises.
    if (!started && signal?.aborted) throw signal.reason;
    throw e;
  }
}

/** True when some tab (this one included) holds the thread's lock right now. */
export async function isThreadBusy(storeName: string, threadId: string): Promise<boolean> {
  assertId(storeName, "storeName");
  assertId(threadId, "threadId");
  const name = threadLockName(storeName, threadId);
  const locks = lockManager();
  const state = await locks.query();
  return (state.held ?? []).some((l) => l.name === name);
}
