import { Database } from "./db.js";
import { Payloads } from "./payload/index.js";
import type { EngineContext } from "./context.js";
import { assertId } from "../src/validate.js";
import { invalid } from "../src/errors.js";
import type { Stores } from "../src/types.js";
import { createThreadStore } from "./thread-store.js";
import { createSaverStore } from "./saver-store.js";
import { createRunStore } from "./run-store.js";
import { createBlobStore } from "./blob-store.js";
import { createEventStore } from "./event-store.js";

export type { Stores } from "../src/types.js";
export * from "../src/types.js";
export { StoreError, isStoreError, ERROR_CODES, type ErrorCode } from "../src/errors.js";

export interface EngineOptions {
  /** Database name; one IndexedDB database per name. */
  name: string;
  /** The IndexedDB factory to use: fake-indexeddb's in Node; the global one by default. */
  indexedDB?: IDBFactory;
  /** Largest state payload accepted (bytes). */
  maxPayloadBytes?: number;
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
}

/** Opens (creating or upgrading) the database and returns the five stores over it. */
export async function openEngine(options: EngineOptions): Promise<Engine> {
  if (typeof options !== "object" || options === null) throw invalid("openEngine needs an options object");
  assertId(options.name, "name");
  const db = new Database({
    name: options.name,
    indexedDB: options.indexedDB,
    blockedTimeoutMs: options.blockedTimeoutMs,
    onClose: options.onClose,
  });
  await db.ready();
  const ctx: EngineContext = {
    db,
    payloads: new Payloads({ maxBytes: options.maxPayloadBytes, cacheBytes: options.cacheBytes, db }),
    now: () => Date.now(),
  };
  const events = createEventStore(ctx, { flushMs: options.eventFlushMs });
  let closing: Promise<void> | undefined;
  return {
    name: options.name,
    threads: createThreadStore(ctx),
    saver: createSaverStore(ctx),
    runs: createRunStore(ctx),
    blobs: createBlobStore(ctx),
    events,
    close() {
      closing ??= (async () => {
        try {
          ctx.payloads.close();
          await events.flushAll();
        } finally {
          db.close();
        }
      })();
      return closing;
    },
  };
}
