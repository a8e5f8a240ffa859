import type { IDBPDatabase } from "idb";
import { StoreError, isStoreError, toStoreError } from "../src/errors.js";
import type { Durability } from "../src/options.js";
import { WriteLines, type Turn } from "./write-lines.js";
import { SCHEMA_VERSION, type Key, type Schema, type StoreName, type Tx } from "./schema.js";
import type { Loss } from "./data-loss.js";
import { openDatabase } from "./open-database.js";
import { ROLLOVER_WAIT_MS, rolloverLog, usesLevelDb } from "./log-rollover.js";

/** The schema, its row helpers and its types live in schema.ts; the stores import them from here. */
export * from "./schema.js";

/** How often opening is tried before its error reaches the caller. */
const OPEN_ATTEMPTS = 3;

export interface DatabaseOptions {
  name: string;
  indexedDB?: IDBFactory;
  /** How long an upgrade waits for other tabs to close before rejecting with UPGRADE_BLOCKED. */
  blockedTimeoutMs?: number;
  /** Called when this connection was closed from outside (another tab's upgrade, data cleared). */
  onClose?: (reason: "versionchange" | "closed") => void;
  /** Schema version to open; tests use a higher one to play a newer tab. */
  version?: number;
  /** Durability of writes that do not ask for their own ("strict" when not given). */
  durability?: Durability;
}

/** The row a flush barrier writes and removes: a transaction that writes nothing may not reach the disk. */
const FLUSH_KEY: Key = ["sys", "flush"];

/**
 * A connection that reopens itself: when the browser closes it (another tab upgrades, the user
 * clears site data) the calls in flight reject with DATABASE_CLOSED and the next call reopens.
 */
export class Database {
  readonly name: string;
  private readonly options: DatabaseOptions;
  private opening: Promise<IDBPDatabase<Schema>> | undefined;
  private closed = false;
  /**
   * Whether the last write on this connection failed for quota. Firefox then makes the
   * connection's next readwrite transaction a "cleanup" one: put() in it throws InvalidStateError,
   * deletes pass, and it may go past the quota to free space. Other engines have no such state;
   * the flag only changes which error a write reports and lets deletes take that transaction.
   */
  private quotaHit = false;
  /** Data lost under this database, found by an open of it (worker/data-loss.ts). */
  foundLoss: Loss | undefined;

  constructor(options: DatabaseOptions) {
    this.name = options.name;
    this.options = options;
  }

  /** Opens the connection now, so open errors surface from openEngine rather than the first call. */
  async ready(): Promise<void> {
    await this.connection();
  }

  /** Whether this connection's writes may go: in Chromium, once a new LevelDB log was started (worker/log-rollover.ts). */
  private rolledOver = !usesLevelDb();
  private rollover: Promise<void> | undefined;

  /**
   * Undefined once writes may go; else the rollover they wait for, started by the first write
   * (not at open: its flush would slow the reads a page makes as it starts).
   */
  private logRollover(): Promise<void> | undefined {
    if (this.rolledOver) return undefined;
    const factory = this.options.indexedDB ?? globalThis.indexedDB;
    if (!factory) return undefined;
    if (!this.rollover) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const capped = new Promise<void>((resolve) => (timer = setTimeout(resolve, ROLLOVER_WAIT_MS)));
      this.rollover = Promise.race([rolloverLog(factory), capped]).then(() => {
        clearTimeout(timer);
        this.rolledOver = true;
      });
    }
    return this.rollover;
  }

  private connection(): Promise<IDBPDatabase<Schema>> {
    if (this.closed) return Promise.reject(new StoreError("DATABASE_CLOSED", `store "${this.name}" was closed`, { retryable: false }));
    this.opening ??= this.openWithRetry().catch((e) => {
      this.opening = undefined;
      throw e;
    });
    return this.opening;
  }

  /**
   * Opening right after the browser dropped the connection (site data cleared, backing store
   * reset) can abort or fail with UnknownError while the browser is still tearing down; a short
   * retry gets through. Errors that will not change (newer schema, blocked upgrade) are not retried.
   */
  private async openWithRetry(): Promise<IDBPDatabase<Schema>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.open();
      } catch (e) {
        if (attempt >= OPEN_ATTEMPTS || !isStoreError(e, "DATABASE_CLOSED") || !e.retryable || this.closed) throw e;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  private open(): Promise<IDBPDatabase<Schema>> {
    const factory = this.options.indexedDB ?? globalThis.indexedDB;
    if (!factory) return Promise.reject(new StoreError("DATABASE_CLOSED", "IndexedDB is not available here", { retryable: false }));
    return openDatabase({
      factory,
      name: this.name,
      version: this.options.version ?? SCHEMA_VERSION,
      blockedTimeoutMs: this.options.blockedTimeoutMs ?? 5000,
      onLoss: (loss) => (this.foundLoss = loss),
      onDrop: (reason) => this.dropConnection(reason),
    });
  }

  private dropConnection(reason: "versionchange" | "closed"): void {
    const opening = this.opening;
    this.opening = undefined;
    this.quotaHit = false;
    opening?.then((db) => db.close()).catch(() => {});
    this.options.onClose?.(reason);
  }

  /** The durability of writes that do not ask for their own. */
  get durability(): Durability {
    return this.options.durability ?? "strict";
  }

  /**
   * Runs `fn` in one transaction and resolves once the transaction has committed. `fn` must not
   * await anything but requests of this transaction: foreign awaits let it auto-commit early.
   * A "strict" write resolves after the browser flushed it to disk (it survives an OS crash or a
   * power cut); a "relaxed" one once the browser has it (it survives a tab or browser crash).
   */
  async run<T, Mode extends IDBTransactionMode>(
    stores: StoreName[],
    mode: Mode,
    fn: (tx: Tx<Mode>) => Promise<T> | T,
    context = "transaction",
    durability: Durability = this.durability,
    turn?: Turn,
  ): Promise<T> {
    const rollover = mode === "readonly" ? undefined : this.logRollover();
    if (rollover) await rollover;
    if (turn) await turn.ready;
    let db: IDBPDatabase<Schema>;
    try {
      db = await this.connection();
    } catch (e) {
      turn?.opened();
      throw toStoreError(e, context);
    }
    let tx: Tx<Mode>;
    const writing = mode !== "readonly";
    // Firefox's cleanup transaction, if any, is this one: the next readwrite after a quota error.
    const cleanup = writing && this.quotaHit;
    if (writing) this.quotaHit = false;
    const failed = (cause: unknown): StoreError => {
      const name = (cause as { name?: unknown } | null)?.name;
      if (writing && name === "QuotaExceededError") this.quotaHit = true;
      if (cleanup && name === "InvalidStateError") {
        return new StoreError("QUOTA_EXCEEDED", `${context}: storage quota exceeded (after a quota error this browser lets the next write only delete)`, { cause, retryable: false });
      }
      return toStoreError(cause, context);
    };
    try {
      // Named, never "default": since Chrome 121 the default is relaxed (no flush to disk), and
      // other engines choose differently, so the engine's default says nothing about survival.
      tx = db.transaction(stores, mode, { durability: mode === "readonly" ? "default" : durability }) as unknown as Tx<Mode>;
    } catch (e) {
      turn?.opened();
      // The connection was closed under us (InvalidStateError): forget it so the next call reopens.
      this.opening = undefined;
      this.quotaHit = false;
      throw toStoreError(e, context);
    }
    turn?.opened();
    if (cleanup) this.cleanups.add(tx);
    let result: T;
    try {
      result = await fn(tx);
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // already finished or aborted
      }
      await tx.done.catch(() => {});
      // A request that failed (quota, constraint) aborted the transaction, and later requests then
      // fail with AbortError: the transaction's error names the cause. After our own abort() it
      // is null, and `e` is the cause.
      throw failed(tx.error ?? e);
    }
    if (!writing) {
      // A read is answered once its requests have: its "complete" event comes a task or two
      // later (0.2 - 0.3 ms of a 1 KiB get in Chromium) and changes nothing it read.
      void tx.done.catch(() => {});
      return result;
    }
    try {
      await tx.done;
    } catch (e) {
      throw failed(tx.error ?? e);
    }
    return result;
  }

  /** Transactions that may only delete: the first write after a quota error (Firefox). */
  private readonly cleanups = new WeakSet<object>();

  /** Whether `tx` is the write after a quota error, in which Firefox admits only deletes. */
  mayOnlyDelete(tx: object): boolean {
    return this.cleanups.has(tx);
  }

  /** Whether the last write on this connection failed for quota (see `quotaHit`). */
  get storageFull(): boolean {
    return this.quotaHit;
  }

  /**
   * A write that only deletes, for a full disk: when it fails for quota it runs once more, as the
   * write right after a quota error, which Firefox lets past the quota if it only deletes.
   */
  async deleteOnly<T>(stores: StoreName[], fn: (tx: Tx<"readwrite">) => Promise<T>, context?: string, turn?: Turn): Promise<T> {
    try {
      return await this.write(stores, fn, context, undefined, turn);
    } catch (e) {
      if (!isStoreError(e, "QUOTA_EXCEEDED")) throw e;
      return this.write(stores, fn, context);
    }
  }

  /**
   * With a `line`, the read sees every write of that line called before it, though their
   * preparation (compressing a large state) is still under way: it opens after theirs, and
   * IndexedDB runs a read after the overlapping writes opened before it. Line "*": after the
   * writes of every line.
   */
  async read<T>(stores: StoreName[], fn: (tx: Tx<"readonly">) => Promise<T> | T, context?: string, line?: string): Promise<T> {
    if (line === "*") await this.lines.allOpened();
    return this.run(stores, "readonly", fn, context, undefined, line === undefined || line === "*" ? undefined : this.turn(line));
  }

  /** With a `turn` (from `turn()`), the transaction opens after those of the line's earlier calls. */
  write<T>(stores: StoreName[], fn: (tx: Tx<"readwrite">) => Promise<T> | T, context?: string, durability?: Durability, turn?: Turn): Promise<T> {
    return this.run(stores, "readwrite", fn, context, durability, turn);
  }

  /** The next place in a line of writes that commit in call order (worker/write-lines.ts); take it at the call. */
  turn(line: string): Turn {
    return this.lines.take(line);
  }

  /**
   * A write that commits in the order it was called among the writes of `line`
   * (worker/write-lines.ts): `prepare` runs now, `fn` once the earlier calls have opened theirs.
   */
  async writeInLine<P, T>(line: string, prepare: () => Promise<P>, stores: StoreName[], fn: (tx: Tx<"readwrite">, prepared: P) => Promise<T>, context?: string): Promise<T> {
    const turn = this.turn(line);
    let prepared: P;
    try {
      prepared = await prepare();
    } catch (e) {
      turn.skip();
      throw e;
    }
    return this.write(stores, (tx) => fn(tx, prepared), context, undefined, turn);
  }

  private readonly lines = new WriteLines();

  /**
   * A barrier: one strict transaction. Engines write a database's transactions to one log in
   * commit order, so flushing this one flushes every relaxed write committed before it.
   */
  flushToDisk(context = "flushing to disk"): Promise<void> {
    return this.write(
      ["meta"],
      async (tx) => {
        // Written and removed: the transaction has a write to flush and leaves no row behind.
        const meta = tx.objectStore("meta");
        await Promise.all([meta.put(Date.now(), FLUSH_KEY), meta.delete(FLUSH_KEY)]);
      },
      context,
      "strict",
    );
  }

  close(): void {
    this.closed = true;
    const opening = this.opening;
    this.opening = undefined;
    opening?.then((db) => db.close()).catch(() => {});
  }
}
