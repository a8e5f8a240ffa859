import { Database } from "./db.js";
import { Payloads } from "./payload/index.js";
import type { EngineContext } from "./context.js";
import { StoreError } from "../src/errors.js";
import { assertOptions, type Durability } from "../src/options.js";
import type { Stores } from "../src/types.js";
import { STORE_METHODS, type HostedKey } from "../src/methods.js";
import { createThreadStore } from "./thread-store.js";
import { createSaverStore } from "./saver-store.js";
import { createRunStore } from "./run-store.js";
import { createBlobStore } from "./blob-store.js";
import { createEventStore } from "./event-store.js";
import { createMemoryStore } from "./memory/index.js";
import { DEFAULT_LIMITS } from "./limits.js";
import { createAnnouncer } from "./announce.js";
import { measureUsage, type UsageOptions, type StoreUsage } from "./usage.js";
import { subscribeToChanges, type ChangeListener, type SubscribeOptions } from "../src/changes/index.js";
import { createSyncStore } from "./sync-store.js";
import type { SaverSync } from "../src/sync/store-types.js";
import { dataLossOf, explainOpenFailure } from "./data-loss.js";
import type { DataLoss } from "../src/data-loss.js";

export type { Stores } from "../src/types.js";
export * from "../src/types.js";
export { StoreError, isStoreError, ERROR_CODES, type ErrorCode } from "../src/errors.js";
export type { Durability } from "../src/options.js";
export type { DataLoss } from "../src/data-loss.js";

export interface EngineOptions {
  /** Database name; one IndexedDB database per name. */
  name: string;
  /** The IndexedDB factory to use: fake-indexeddb's in Node; the global one by default. */
  indexedDB?: IDBFactory;
  /**
   * When a write's call resolves: "strict" (default) after the browser flushed it to disk, so it
   * survives an OS crash or power cut; "relaxed" once the browser has it (survives a tab or
   * browser crash, not a power cut), which is faster. Barriers (finishTurn, flush, close) are
   * always strict.
   */
  durability?: Durability;
  /** Largest state payload accepted (bytes). */
  maxPayloadBytes?: number;
  /** Largest event envelope accepted (bytes, estimated from its contents). */
  maxEventBytes?: number;
  /** Largest metadata (or run params) accepted (bytes, estimated from its contents). */
  maxMetadataBytes?: number;
  /** Byte budget of the worker's caches of payload bytes (default 32 MiB). */
  cacheBytes?: number;
  /** How long opening waits for other tabs to let an upgrade through before UPGRADE_BLOCKED. */
  blockedTimeoutMs?: number;
  /** Longest time an appended event may stay buffered before it is written. */
  eventFlushMs?: number;
  /** Called when the browser closed the connection (another tab's upgrade, site data cleared). */
  onClose?: (reason: "versionchange" | "closed") => void;
}

/** An engine: the five stores over one database, running in the calling thread. */
export interface Engine extends Stores {
  readonly name: string;
  /** The saver's change log and remote writes, for createSync (idb-checkpoint/sync). */
  readonly sync: SaverSync;
  /** This engine's id in change notices (StoreChange.local is true for its own changes). */
  readonly changeSource: string;
  /** Calls `listener` after each committed change, from this engine or any other of the database. */
  subscribe(listener: ChangeListener, options?: SubscribeOptions): () => void;
  /** Bytes stored per thread and in total, and the browser's estimate where it has one. */
  usage(options?: UsageOptions): Promise<StoreUsage>;
  /** Set when the browser lost this database's data (see DataLoss and the page's Store.dataLoss). */
  readonly dataLoss: DataLoss | undefined;
}

/** What the worker answers for, by key: the five stores and the saver's sync support. */
type Hosted = Stores & { sync: SaverSync };

const closedError = (name: string) =>
  new StoreError("DATABASE_CLOSED", `store "${name}" was closed; open it again to use it`, { retryable: false });

/** Opens (creating or upgrading) the database and returns the five stores over it. */
export async function openEngine(options: EngineOptions): Promise<Engine> {
  assertOptions(options, "openEngine");
  const db = new Database({
    name: options.name,
    indexedDB: options.indexedDB,
    blockedTimeoutMs: options.blockedTimeoutMs,
    onClose: options.onClose,
    durability: options.durability,
  });
  // Opening waits on the browser's storage process; the engine is set up meanwhile, and taken
  // down again if the database does not open.
  const opened = db.ready();
  const ctx: EngineContext = {
    db,
    payloads: new Payloads({ maxBytes: options.maxPayloadBytes, cacheBytes: options.cacheBytes, db }),
    now: () => Date.now(),
    limits: {
      eventBytes: options.maxEventBytes ?? DEFAULT_LIMITS.eventBytes,
      metadataBytes: options.maxMetadataBytes ?? DEFAULT_LIMITS.metadataBytes,
    },
  };
  const events = createEventStore(ctx, { flushMs: options.eventFlushMs });
  // Built now: it sweeps expired items a few seconds after opening, used or not.
  const memory = createMemoryStore(ctx);
  // Announces each committed write on the database's channel (store.subscribe listens).
  const announcer = createAnnouncer(options.name, { flush: () => events.flushAll() });
  const announced = announcer.wrap({ events, memory });
  try {
    await opened;
  } catch (e) {
    void memory.dispose();
    ctx.payloads.close();
    events.close();
    announcer.close();
    db.close();
    throw explainOpenFailure(e);
  }
  const dataLoss = await dataLossOf(db);
  // The other stores are built on their first call: building one compiles and runs its code,
  // which a later visit's openStore would otherwise wait for, and an app uses one or two of them.
  const lazily = <T>(create: () => T) => {
    let store: T | undefined;
    return () => (store ??= create());
  };
  const hosted: { [K in HostedKey]: () => Hosted[K] } = {
    threads: lazily(() => announcer.wrap({ threads: createThreadStore(ctx) }).threads),
    saver: lazily(() => announcer.wrap({ saver: createSaverStore(ctx) }).saver),
    runs: lazily(() => announcer.wrap({ runs: createRunStore(ctx) }).runs),
    blobs: lazily(() => announcer.wrap({ blobs: createBlobStore(ctx) }).blobs),
    events: () => announced.events,
    memory: () => announced.memory,
    // The sync client's access to the saver; its writes are a server's, applied here.
    sync: lazily(() => createSyncStore(ctx)),
  };

  // Calls in flight, so close() can wait for them: an app closes on pagehide or unmount without
  // awaiting its last save, and that save must still land.
  const inFlight = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;
  const track = <T>(call: () => Promise<T>): Promise<T> => {
    if (closing) return Promise.reject(closedError(options.name));
    let p: Promise<T>;
    try {
      p = call();
    } catch (e) {
      return Promise.reject(e);
    }
    inFlight.add(p);
    const done = () => inFlight.delete(p);
    p.then(done, done);
    return p;
  };
  const guard = <K extends HostedKey>(key: K): Engine[K] => {
    const target = hosted[key] as unknown as () => Record<string, (...a: unknown[]) => Promise<unknown>>;
    const out: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
    for (const method of STORE_METHODS[key]) out[method] = (...args) => track(() => target()[method](...args));
    return out as unknown as Engine[K];
  };

  return {
    name: options.name,
    threads: guard("threads"),
    saver: guard("saver"),
    runs: guard("runs"),
    blobs: guard("blobs"),
    events: guard("events"),
    sync: guard("sync"),
    memory: guard("memory"),
    flush() {
      return track(async () => {
        await events.flushAll();
        await db.flushToDisk();
      });
    },
    changeSource: announcer.source,
    dataLoss,
    subscribe: (listener, subscribeOptions) => subscribeToChanges(options.name, listener, subscribeOptions, announcer.source),
    usage: (usageOptions) => track(() => measureUsage(ctx, usageOptions)),
    close() {
      closing ??= (async () => {
        // A memory packing under way ends (it holds no acknowledged write) before the database closes.
        const packing = memory.dispose();
        try {
          while (inFlight.size) await Promise.allSettled([...inFlight]);
          await packing;
          ctx.payloads.close();
          await events.flushAll();
          await db.flushToDisk("closing the store").catch(() => {});
        } finally {
          events.close();
          announcer.close();
          db.close();
        }
      })();
      return closing;
    },
  };
}
