import { Rpc, transferring, type RpcOptions } from "./rpc.js";
import { copiedForTransfer, handOver, largeArrays } from "./hand-over.js";
import { CallOrder } from "./call-order.js";
import { AppendBatch } from "./append-batch.js";
import { STORE_METHODS, type HostedKey } from "./methods.js";
import { StoreError, toStoreError } from "./errors.js";
import { assertOptions, type Durability } from "./options.js";
import type { Stores } from "./types.js";
import type { SaverSync } from "./sync/store-types.js";
import type { Host } from "../worker/main.js";
import { subscribeToChanges, type ChangeListener, type SubscribeOptions } from "./changes/index.js";
import type { StoreUsage, UsageOptions } from "./usage.js";
import type { DataLoss } from "./data-loss.js";

export interface OpenStoreOptions extends RpcOptions {
  /** Database name; one IndexedDB database per name. */
  name: string;
  /**
   * A worker running the engine (`idb-checkpoint`'s worker/main), for apps that create workers
   * themselves (a CSP, a custom bundler). By default openStore starts its own module worker.
   */
  worker?: Worker;
  /**
   * When a write's call resolves: "strict" (default) after the browser flushed it to disk, so it
   * survives an OS crash or a power cut; "relaxed" once the browser has it (it survives a tab or
   * browser crash, not a power cut), which is faster. finishTurn, flush() and close() are always
   * strict. See the README's durability table.
   */
  durability?: Durability;
  /** Largest state payload accepted (bytes). */
  maxPayloadBytes?: number;
  /** Byte budget of the worker's caches of payload bytes (default 32 MiB). */
  cacheBytes?: number;
  /** Largest event envelope accepted (bytes, estimated from its contents). */
  maxEventBytes?: number;
  /** Largest metadata object or run params accepted (bytes, estimated from its contents). */
  maxMetadataBytes?: number;
  /** How long opening waits for other tabs to let an upgrade through before UPGRADE_BLOCKED. */
  blockedTimeoutMs?: number;
  /** Longest time an appended event may stay buffered before it is written. */
  eventFlushMs?: number;
  /**
   * Called when the browser closed the database under the store: "versionchange" when another
   * tab opens a newer schema (this tab steps aside instead of blocking it), "closed" when the
   * browser dropped the connection (site data cleared). The next call reopens where it can.
   */
  onClose?: (reason: "versionchange" | "closed") => void;
}

/** The page-side store: the five stores of the engine, each call one message to the worker. */
export interface Store extends Stores {
  readonly name: string;
  /** The saver's change log and remote writes, for createSync (idb-checkpoint/sync). */
  readonly sync: SaverSync;
  /**
   * Calls `listener` after each committed change to this database, made through this store or
   * in any other tab, with the thread (or run) it touched; returns the function that stops it.
   */
  subscribe(listener: ChangeListener, options?: SubscribeOptions): () => void;
  /** Bytes stored per thread and in total (one read of the database), and the browser's estimate. */
  usage(options?: UsageOptions): Promise<StoreUsage>;
  /**
   * Set when the browser lost this database's data: "total" when it said so (Chromium, finding
   * the stored data unreadable on open, replaces it with an empty database), "partial" when it
   * opened the database as new with rows of before still in it. Undefined otherwise; Firefox and
   * Safari report no loss.
   */
  readonly dataLoss: DataLoss | undefined;
}

/**
 * Starts the engine in a module worker and connects to it. Written as `new Worker(new URL(...))`
 * so bundlers (Vite, webpack 5, esbuild) see the worker and bundle it with the app.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  assertOptions(options, "openStore");
  const { name, maxPayloadBytes, maxEventBytes, maxMetadataBytes, blockedTimeoutMs, eventFlushMs, onClose, durability } = options;
  const { cacheBytes } = options;
  let worker: Worker;
  try {
    // Written exactly so: bundlers recognise `new Worker(new URL("...", import.meta.url))` and
    // bundle the worker; a URL made apart from it would be copied as a plain asset instead.
    worker = options.worker ?? new Worker(new URL("../worker/main.ts", import.meta.url), { type: "module", name: `idb-checkpoint:${name}` });
  } catch (e) {
    // A sandboxed or opaque-origin page, or a CSP without worker-src, refuses the worker here.
    throw new StoreError("WORKER_GONE", `openStore could not start its worker: ${toStoreError(e).message}`, { cause: e, retryable: false });
  }
  const rpc = new Rpc<Host>(worker, { ...options, workerLabel: options.worker ? undefined : "idb-checkpoint's worker (worker/main)" });
  let opened: { changeSource: string; dataLoss: DataLoss | undefined } | string | undefined;
  try {
    opened = await rpc.call(
      "openStore",
      (remote) =>
        remote.open(
          { name, maxPayloadBytes, maxEventBytes, maxMetadataBytes, blockedTimeoutMs, eventFlushMs, durability, cacheBytes },
          onClose ? rpc.callback((reason: "versionchange" | "closed") => onClose(reason)) : undefined,
        ),
      // Opening may legitimately wait for other tabs up to blockedTimeoutMs.
      Math.max(options.timeoutMs ?? 30_000, (blockedTimeoutMs ?? 5_000) + 5_000),
    );
  } catch (e) {
    rpc.terminate("opening failed");
    throw e;
  }
  // A worker script of an earlier version (a cache serving it beside a newer page) answers the
  // change source alone.
  const { changeSource, dataLoss } = opened && typeof opened === "object" ? opened : { changeSource: opened ?? undefined, dataLoss: undefined };

  let closing: Promise<void> | undefined;
  const closedError = () => new StoreError("DATABASE_CLOSED", `store "${name}" was closed; open it again to use it`, { retryable: false });
  const call = <R>(label: string, fn: Parameters<Rpc<Host>["call"]>[1]) =>
    (closing ? Promise.reject(closedError()) : rpc.call(label, fn)) as Promise<R>;

  // Set while a large array is handed over, so that the calls after it are sent after it.
  const order = new CallOrder();
  const stub = <K extends HostedKey>(store: K): Store[K] => {
    const client: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const method of STORE_METHODS[store]) {
      const label = `${store}.${method}`;
      client[method] = (...args: unknown[]) => {
        const large = largeArrays(args);
        if (large.length === 0 && !order.busy) {
          const copied = copiedForTransfer(args);
          return call(label, (remote) => remote.call(store, method, copied ? transferring(copied.args, copied.buffers) : args));
        }
        // Made before close(): sent even if close() is called during the hand-over (close waits).
        if (closing) return Promise.reject(closedError());
        return order.send(handOver(args, large), ({ args: copied, buffers }) =>
          rpc.call(label, (remote) => remote.call(store, method, transferring(copied, buffers))),
        );
      };
    }
    return client as unknown as Store[K];
  };

  const events = stub("events");
  const appends = new AppendBatch({
    sendMany: (argLists) => call("events.append", (remote) => remote.callEach("events", "append", argLists)),
    sendOne: (args) => (events.append as (...a: unknown[]) => Promise<unknown>)(...args),
    refused: () => rpc.refused,
  });
  const batchedEvents: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of STORE_METHODS.events) {
    const send = events[method] as (...args: unknown[]) => Promise<unknown>;
    batchedEvents[method] =
      method === "append"
        ? (...args: unknown[]) =>
            // Behind a call still handing a large array over, an append waits its turn on its own.
            closing || order.busy ? (appends.send(), send(...args)) : appends.push(args)
        : (...args: unknown[]) => (appends.send(), send(...args));
  }

  return {
    name,
    threads: stub("threads"),
    saver: stub("saver"),
    runs: stub("runs"),
    blobs: stub("blobs"),
    events: batchedEvents as unknown as Store["events"],
    sync: stub("sync"),
    memory: stub("memory"),
    flush() {
      appends.send();
      return call("flush", (remote) => remote.flush());
    },
    subscribe: (listener, subscribeOptions) => subscribeToChanges(name, listener, subscribeOptions, changeSource ?? undefined),
    usage: (usageOptions) => call("usage", (remote) => remote.usage(usageOptions)),
    dataLoss,
    close() {
      // Appends made before close() are sent before it.
      appends.send();
      closing ??= (async () => {
        try {
          // The worker answers close only after every call sent before it has completed and the
          // buffered events are on disk: messages arrive in order, and the engine drains.
          // Its deadline grows with the calls it waits for; a hung worker is caught by the heartbeat.
          const timeoutMs = options.timeoutMs ?? 30_000;
          // Calls still handing a large array over are sent first.
          await order.idle();
          if (!rpc.isGone) await rpc.call("close", (remote) => remote.close(), timeoutMs * (1 + rpc.pendingCount));
        } finally {
          rpc.terminate("the store was closed", closedError());
        }
      })();
      return closing;
    },
  };
}
