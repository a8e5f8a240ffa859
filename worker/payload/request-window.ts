import { usesLevelDb } from "../log-rollover.js";

/**
 * Requests of one payload's chunks in flight at once, by engine. In WebKit a worker's IndexedDB
 * requests and their answers pass through the page's main thread: the 1,600 chunk reads of a
 * 50 MB state made at once kept the page from running anything for 0.8 – 1.4 s, 16 at a time keep
 * its longest gap at 31 – 56 ms, and the load takes as long (test/bench/main-thread.bench.test.ts's
 * "load: longest"); a save's writes, the same. Chromium and Firefox answer a worker's requests off
 * the main thread, and a window there only slows a 50 MB load (by 8 – 20%): they make every
 * request at once.
 */
export function defaultRequestWindow(): number {
  const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? "";
  // Safari, WebKitGTK and every iOS browser; Chromium's agent names AppleWebKit too.
  return /AppleWebKit\//.test(agent) && !usesLevelDb() ? 16 : Infinity;
}

/** Runs `fn` on each item, at most `window` at once, in order; rejects with the first failure and starts no more. */
export async function inWindow<T>(items: T[], window: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, lane));
}

/** The requests of the blobs store a payload's writes make. */
export interface BlobRequests {
  get(key: string): Promise<unknown>;
  put(value: unknown, key: string): Promise<unknown>;
}

/**
 * `store` with at most `window` requests in flight: the others wait in a queue and are made in
 * the order they were asked for, each as an earlier one is answered, so the database runs them
 * in that order, as it would have run them made at once. They are made in the transaction's
 * success callbacks, which keep it active. After the first failure no more are made: the
 * transaction is aborting, and a request made on it would throw, so each one still queued or
 * asked for later rejects with that failure.
 */
export function orderedWindow(store: BlobRequests, window: number): BlobRequests {
  const queue: Array<() => void> = [];
  let head = 0;
  let inFlight = 0;
  let failure: { error: unknown } | undefined;
  const pump = () => {
    while (inFlight < window && head < queue.length) queue[head++]();
    if (head === queue.length) queue.length = head = 0;
  };
  const enqueue = (issue: () => Promise<unknown>) =>
    new Promise<unknown>((resolve, reject) => {
      queue.push(() => {
        if (failure) return reject(failure.error);
        inFlight++;
        let answer: Promise<unknown>;
        try {
          answer = issue();
        } catch (e) {
          failure ??= { error: e };
          answer = Promise.reject(e);
        }
        answer.then(resolve, (e) => {
          failure ??= { error: e };
          reject(e);
        });
        answer.catch(() => {}).then(() => {
          inFlight--;
          pump();
        });
      });
      pump();
    });
  return { get: (key) => enqueue(() => store.get(key)), put: (value, key) => enqueue(() => store.put(value, key)) };
}
