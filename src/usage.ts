/** Usage figures: what a store keeps, per thread and in total. Plain data, from the worker. */

export interface ThreadUsage {
  threadId: string;
  /** Rows of the thread in IndexedDB, not counting the payload rows it shares. */
  rows: number;
  /** Bytes the thread was given: its states, writes, metadata and events, before compression. */
  raw: number;
  /**
   * Bytes IndexedDB keeps for the thread: its rows and every payload row they lead to, each
   * counted once for the thread. A row shared by two threads counts in both.
   */
  stored: number;
}

export interface UsageTotal {
  /** Every row of the database, of all five stores. */
  rows: number;
  raw: number;
  /** Every row counted once. */
  stored: number;
}

export interface StoreUsage {
  /** One entry per thread asked for (or per thread stored), in id order. */
  threads: ThreadUsage[];
  total: UsageTotal;
  /** What the browser reports for the whole origin; absent where navigator.storage is missing (WebKitGTK). */
  estimate?: { usage: number; quota: number };
}

export interface UsageOptions {
  /** Only these threads (an unknown one gets zeros); every thread when absent. */
  threadIds?: string[];
}
