import type { Database } from "../db.js";
import { CHUNK, type ChunkRow } from "./chunk-rows.js";
import { LruSet } from "./chunk-cache.js";
import { crc32 } from "./chunk-hash.js";
import { pack } from "./pack.js";

/**
 * Compression in idle time. Deflating costs several times what writing the same bytes to
 * IndexedDB does (1 MiB of text: 25 - 50 ms against a raw put of 10 - 15 ms), so a save with
 * much new data writes its chunks raw (codec 0, a valid stored form readers always knew) and
 * names them here. Once the worker has had no call for `idleMs`, the compactor deflates them a
 * batch at a time and puts each row back, compressed, in a transaction of its own that first
 * reads the row again and writes only if it still holds exactly the bytes that were deflated.
 *
 * Nothing here can lose data: a rewritten row holds the same bytes in another encoding, in one
 * put; a crash before it leaves the raw row, after it the compressed one. A row freed, rewritten
 * or tampered with meanwhile is left alone. Lost work (the worker ends with names queued) costs
 * only space: a raw row read later is queued again.
 */

export interface CompactorOptions {
  /** Quiet time after the last call before compaction starts; 0 disables compaction. */
  idleMs?: number;
  /** Raw bytes deflated per batch: the longest the worker is busy before a call can get in. */
  batchBytes?: number;
}

export const DEFAULT_IDLE_MS = 250;
const DEFAULT_BATCH_BYTES = 128 * 1024;

export class Compactor {
  private readonly queue = new Map<string, number>();
  /** Rows deflate did not shrink: not tried again while remembered. */
  private readonly tried = new LruSet(1 << 14);
  private lastCall = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly idleMs: number;
  private readonly batchBytes: number;
  /** Rows rewritten compressed, and raw bytes they hold: for tests and the bench. */
  readonly done = { rows: 0, raw: 0, stored: 0 };
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly db: Database,
    options: CompactorOptions = {},
  ) {
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  }

  /** Whether saves should defer compression to this compactor. */
  get enabled(): boolean {
    return this.idleMs > 0 && !this.stopped;
  }

  /** A call came in: compaction waits until the worker has been quiet for idleMs. */
  touch(): void {
    this.lastCall = Date.now();
  }

  /** Queues a raw chunk row (by key, without its prefix) for compression. */
  add(key: string, raw: number): void {
    if (!this.enabled || this.tried.has(key)) return;
    this.queue.set(key, raw);
    this.schedule(this.idleMs);
  }

  /** Resolves once nothing is queued (tests; the bench waits on it through the engine). */
  idle(): Promise<void> {
    if (this.queue.size === 0 && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Compresses everything queued now, without waiting for idle time: for figures of what the
   * store keeps (usage), which would otherwise count rows that are about to shrink.
   */
  async flush(): Promise<void> {
    for (;;) {
      // A batch the idle timer started has taken its rows off the queue already: an empty queue
      // says nothing until that batch has written them.
      if (this.current) {
        await this.current;
        continue;
      }
      if (this.queue.size === 0 || this.stopped) break;
      await this.runBatch();
    }
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    this.queue.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake();
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined || this.running || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, ms);
    // In Node (openEngine over fake-indexeddb) a pending compaction must not keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private async tick(): Promise<void> {
    const quiet = Date.now() - this.lastCall;
    if (quiet < this.idleMs) return this.schedule(this.idleMs - quiet);
    if (this.running) return;
    await this.runBatch();
    if (this.queue.size > 0) this.schedule(0);
    else this.wake();
  }

  private wake(): void {
    if ((this.queue.size > 0 || this.current) && !this.stopped) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }

  /** The batch being compressed and written, if any. */
  private current: Promise<void> | undefined;

  private get running(): boolean {
    return this.current !== undefined;
  }

  private runBatch(): Promise<void> {
    this.current ??= this.batch()
      .catch(() => {
        // Compaction is an optimization: a failed batch leaves raw rows, which stay valid.
      })
      .finally(() => {
        this.current = undefined;
      });
    return this.current;
  }

  private async batch(): Promise<void> {
    const keys: string[] = [];
    let bytes = 0;
    for (const [key, raw] of this.queue) {
      if (keys.length > 0 && bytes + raw > this.batchBytes) break;
      keys.push(key);
      bytes += raw;
    }
    if (keys.length === 0) return;
    keys.forEach((k) => this.queue.delete(k));
    const rows = await this.db.read(["blobs"], (tx) => Promise.all(keys.map((k) => tx.objectStore("blobs").get(CHUNK + k) as Promise<ChunkRow | undefined>)), "compacting");
    const packed = new Map<string, { before: ChunkRow; data: Uint8Array }>();
    keys.forEach((key, i) => {
      const row = rows[i];
      if (!isRaw(row)) return;
      // A whole row is checked before it is deflated, so that damage is never re-encoded into a
      // row that would look intact; a delta's CRC covers its base too and is checked on read.
      if (row.base === undefined && crc32(row.data) !== row.crc) return;
      const p = pack(row.data);
      if (p.codec === 0) this.tried.add(key);
      else packed.set(key, { before: row, data: p.data });
    });
    if (packed.size === 0 || this.stopped) return;
    await this.db.write(
      ["blobs"],
      async (tx) => {
        const store = tx.objectStore("blobs");
        const entries = [...packed];
        const now = await Promise.all(entries.map(([key]) => store.get(CHUNK + key) as Promise<ChunkRow | undefined>));
        const puts: Promise<unknown>[] = [];
        entries.forEach(([key, { before, data }], i) => {
          const row = now[i];
          if (!isRaw(row) || !sameRow(row, before)) return;
          puts.push(store.put({ ...row, codec: 2, data } satisfies ChunkRow, CHUNK + key));
          this.done.rows++;
          this.done.raw += row.data.length;
          this.done.stored += data.length;
        });
        await Promise.all(puts);
      },
      "compacting",
      // A compressed row lost to a power cut leaves the raw row, which is as good.
      "relaxed",
    );
  }
}

function isRaw(row: ChunkRow | undefined): row is ChunkRow {
  return !!row && typeof row === "object" && row.codec === 0 && row.data instanceof Uint8Array && row.data.length > 0;
}

/** The same stored chunk: same fields and the very same bytes. */
function sameRow(a: ChunkRow, b: ChunkRow): boolean {
  if (a.raw !== b.raw || a.crc !== b.crc || a.keep !== b.keep || a.data.length !== b.data.length) return false;
  if ((a.base === undefined) !== (b.base === undefined)) return false;
  if (a.base && b.base && (a.base[0] !== b.base[0] || a.base[1] !== b.base[1] || a.base[2] !== b.base[2])) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}
