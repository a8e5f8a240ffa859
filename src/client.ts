import { Rpc, type RpcOptions } from "./rpc.js";
import { STORE_METHODS, type StoreKey } from "./methods.js";
import { invalid } from "./errors.js";
import { assertId } from "./validate.js";
import type { Stores } from "./types.js";
import type { Host } from "../worker/main.js";

export interface OpenStoreOptions extends RpcOptions {
  /** Database name; one IndexedDB database per name. */
  name: string;
  /**
   * A worker running the engine (`idb-checkpoint`'s worker/main), for apps that create workers
   * themselves (a CSP, a custom bundler). By default openStore starts its own module worker.
   */
  worker?: Worker;
  /** Largest state payload accepted (bytes). */
  maxPayloadBytes?: number;
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
}

/**
 * Starts the engine in a module worker and connects to it. Written as `new Worker(new URL(...))`
 * so bundlers (Vite, webpack 5, esbuild) see the worker and bundle it with the app.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (typeof options !== "object" || options === null) throw invalid("openStore needs an options object");
  assertId(options.name, "name");
  const worker = options.worker ?? new Worker(new URL("../worker/main.ts", import.meta.url), { type: "module", name: `idb-checkpoint:${options.name}` });
  const rpc = new Rpc<Host>(worker, options);
  const { name, maxPayloadBytes, blockedTimeoutMs, eventFlushMs, onClose } = options;
  try {
    await rpc.call(
      "openStore",
      (remote) =>
        remote.open(
          { name, maxPayloadBytes, blockedTimeoutMs, eventFlushMs },
          onClose ? rpc.callback((reason: "versionchange" | "closed") => onClose(reason)) : undefined,
        ),
      // Opening may legitimately wait for other tabs up to blockedTimeoutMs.
      Math.max(options.timeoutMs ?? 30_000, (blockedTimeoutMs ?? 5_000) + 5_000),
    );
  } catch (e) {
    rpc.terminate("opening failed");
    throw e;
  }

  const stub = <K extends StoreKey>(store: K): Stores[K] => {
    const client: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const method of STORE_METHODS[store]) {
      const label = `${store}.${method}`;
      client[method] = (...args: unknown[]) => rpc.call(label, (remote) => remote.call(store, method, args));
    }
    return client as unknown as Stores[K];
  };

  let closing: Promise<void> | undefined;
  return {
    name,
    threads: stub("threads"),
    saver: stub("saver"),
    runs: stub("runs"),
    blobs: stub("blobs"),
    events: stub("events"),
    memory: stub("memory"),
    close() {
      closing ??= (async () => {
        try {
          // Flushes buffered events before the worker ends, so close() loses nothing.
          if (!rpc.isGone) await rpc.call("close", (remote) => remote.close());
        } finally {
          rpc.terminate();
        }
      })();
      return closing;
    },
  };
}
