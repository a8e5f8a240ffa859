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

  /** Several rows in one transaction. */
  putMany(rows: Array<[string, unknown]>, durability: IDBTransactionDurability = "default"): Promise<void> {
    const tx = this.db.transaction("kv", "readwrite", { durability });
    for (const [key, value] of rows) tx.objectStore("kv").put(value, key);
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }

  get<T>(key: string): Promise<T> {
    return request(this.db.transaction("kv", "readonly").objectStore("kv").get(key)) as Promise<T>;
  }

  /**
   * One transaction that reads `reads` keys at once, then writes `rows`: the shape of a write
   * that must see what is stored before it decides what to write.
   */
  async readThenWrite(reads: string[], rows: Array<[string, unknown]>, durability: IDBTransactionDurability = "relaxed"): Promise<void> {
    const tx = this.db.transaction("kv", "readwrite", { durability });
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
    const store = tx.objectStore("kv");
    await Promise.all(reads.map((key) => request(store.get(key))));
    for (const [key, value] of rows) store.put(value, key);
    return done;
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

/**
 * Raw IndexedDB in a dedicated worker, one put or get per message: what any design that keeps
 * IndexedDB in a worker pays at least (the hop each way plus the raw request), to tell the
 * store's own cost from the hop's.
 */
export class RawIdbWorker {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly worker: Worker) {
    worker.onmessage = ({ data: [id, value, error] }: MessageEvent<[number, unknown, string?]>) => {
      const w = this.waiting.get(id);
      this.waiting.delete(id);
      if (error) w?.reject(new Error(error));
      else w?.resolve(value);
    };
  }

  static async open(name: string): Promise<RawIdbWorker> {
    const code = `
      let db;
      const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
      onmessage = async ({ data: [id, op, key, value, durability] }) => {
        try {
          if (op === "open") {
            const o = indexedDB.open(key, 1);
            o.onupgradeneeded = () => o.result.createObjectStore("kv");
            db = await req(o);
            postMessage([id]);
          } else if (op === "put") {
            const tx = db.transaction("kv", "readwrite", { durability });
            tx.objectStore("kv").put(value, key);
            await new Promise((res, rej) => { tx.oncomplete = res; tx.onerror = tx.onabort = () => rej(tx.error); });
            postMessage([id]);
          } else {
            postMessage([id, await req(db.transaction("kv", "readonly").objectStore("kv").get(key))]);
          }
        } catch (e) { postMessage([id, undefined, String(e)]); }
      };`;
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    const raw = new RawIdbWorker(new Worker(url));
    URL.revokeObjectURL(url);
    await raw.call("open", name);
    return raw;
  }

  private call(op: string, key: string, value?: unknown, durability?: IDBTransactionDurability): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage([id, op, key, value, durability]);
    });
  }

  put(key: string, value: unknown, durability: IDBTransactionDurability = "relaxed"): Promise<unknown> {
    return this.call("put", key, value, durability);
  }

  get(key: string): Promise<unknown> {
    return this.call("get", key);
  }

  close(): void {
    this.worker.terminate();
  }
}
