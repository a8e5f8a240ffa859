/** Baselines measured in the same run: raw IndexedDB on the page, one put or get per call. */
function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export class RawIdb {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(name: string): Promise<RawIdb> {
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore("kv");
    return new RawIdb(await request(open));
  }

  /** Resolves once the transaction committed, like the store's calls. */
  put(key: string, value: unknown, durability: IDBTransactionDurability = "relaxed"): Promise<void> {
    const tx = this.db.transaction("kv", "readwrite", { durability });
    tx.objectStore("kv").put(value, key);
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }

  get<T>(key: string): Promise<T> {
    return request(this.db.transaction("kv", "readonly").objectStore("kv").get(key)) as Promise<T>;
  }

  close(): void {
    this.db.close();
  }
}

/**
 * The longest stretch the page's main thread was busy: a MessageChannel loop posts to itself and
 * records the largest gap between two turns. Long-task entries only report tasks over 50 ms, so
 * this catches the shorter ones the 10 ms target is about.
 */
export function watchMainThread(): { stop(): { longestMs: number; ticks: number } } {
  const channel = new MessageChannel();
  let last = performance.now();
  let longest = 0;
  let ticks = 0;
  let running = true;
  channel.port1.onmessage = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    ticks++;
    if (running) channel.port2.postMessage(0);
  };
  channel.port2.postMessage(0);
  return {
    stop() {
      running = false;
      channel.port1.close();
      return { longestMs: longest, ticks };
    },
  };
}
