import { expose, transfer } from "comlink";
import { errorToWire, registerWireHandlers } from "../src/wire.js";
import type { CallOutcome } from "../src/append-batch.js";
import { isStoreMethod } from "../src/methods.js";
import { StoreError } from "../src/errors.js";
import { openEngine, type Engine, type EngineOptions } from "./index.js";
import type { StoreUsage, UsageOptions } from "../src/usage.js";
import { TRANSFER_BYTES } from "../src/hand-over.js";
import { isUnshared } from "./payload/index.js";
import type { DataLoss } from "../src/data-loss.js";

/**
 * The worker's entry: the engine behind Comlink, and nothing else. The page talks to it through
 * src/rpc.ts; every store call arrives as call(store, method, args).
 */
registerWireHandlers();

export type HostOpenOptions = Omit<EngineOptions, "indexedDB" | "onClose">;

let closed = false;

let engine: Engine | undefined;

const host = {
  /**
   * Resolves with the engine's id in change notices, so the page can tell its own changes, and
   * the data loss the browser reported, if any.
   */
  async open(options: HostOpenOptions, onClose?: (reason: "versionchange" | "closed") => void): Promise<{ changeSource: string; dataLoss: DataLoss | undefined }> {
    if (engine || closed) throw new StoreError("CONFLICT", "this worker already has a store open", { retryable: false });
    engine = await openEngine({ ...options, onClose: (reason) => void onClose?.(reason) });
    return { changeSource: engine.changeSource, dataLoss: engine.dataLoss };
  },

  async call(store: string, method: string, args: unknown[]): Promise<unknown> {
    const run = storeMethod(store, method);
    if (!Array.isArray(args)) throw new StoreError("INVALID_ARGUMENT", "arguments must be an array");
    return handBack(await run(...args));
  },

  /**
   * Several calls of one method made together on the page, in one message (src/append-batch.ts):
   * each is started in the order given, as separate messages would be, and gets its own outcome.
   */
  async callEach(store: string, method: string, argLists: unknown[][]): Promise<CallOutcome[]> {
    const run = storeMethod(store, method);
    if (!Array.isArray(argLists)) throw new StoreError("INVALID_ARGUMENT", "argument lists must be an array");
    const started = argLists.map(async (args) => {
      if (!Array.isArray(args)) throw new StoreError("INVALID_ARGUMENT", "arguments must be an array");
      return run(...args);
    });
    return (await Promise.allSettled(started)).map((s) => (s.status === "fulfilled" ? { value: s.value } : { error: errorToWire(s.reason) }));
  },

  async usage(options?: UsageOptions): Promise<StoreUsage> {
    if (!engine) throw new StoreError("DATABASE_CLOSED", "no store is open in this worker", { retryable: false });
    return engine.usage(options);
  },

  ping(): true {
    return true;
  },

  flush(): Promise<void> {
    if (!engine) return Promise.reject(new StoreError("DATABASE_CLOSED", "no store is open in this worker", { retryable: false }));
    return engine.flush();
  },

  /** Drains: the engine finishes every call that arrived before this one, then flushes and closes. */
  async close(): Promise<void> {
    closed = true;
    await engine?.close();
  },
};

export type Host = typeof host;

/** A method the page may call on a store of the open engine (src/methods.ts lists them). */
function storeMethod(store: string, method: string): (...args: unknown[]) => Promise<unknown> {
  if (!engine) throw new StoreError("DATABASE_CLOSED", "no store is open in this worker", { retryable: false });
  if (!isStoreMethod(store, method)) throw new StoreError("INVALID_ARGUMENT", `unknown method ${String(store)}.${String(method)}`);
  const target = engine[store] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  return (...args) => target[method](...args);
}

/**
 * A result holding a state of more than TRANSFER_BYTES (a load's `state` or `bytes`) goes back as
 * a buffer of its own, transferred: the page takes it without a copy (a 50 MB one without a long
 * task), and one copy costs less than a clone's two. A payload assembled for this read goes as
 * it is; other bytes may be shared with the worker's cache, and go as a copy.
 */
function handBack(result: unknown): unknown {
  if (typeof result !== "object" || result === null || Array.isArray(result)) return result;
  const large = Object.entries(result).filter(([, v]) => v instanceof Uint8Array && v.byteLength > TRANSFER_BYTES);
  if (large.length === 0) return result;
  const out: Record<string, unknown> = { ...result };
  const buffers: ArrayBuffer[] = [];
  for (const [key, bytes] of large) {
    const copy = isUnshared(bytes as Uint8Array) ? (bytes as Uint8Array) : (bytes as Uint8Array).slice();
    out[key] = copy;
    buffers.push(copy.buffer as ArrayBuffer);
  }
  return transfer(out, buffers);
}

expose(host);
