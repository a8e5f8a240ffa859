import { wrap, proxy, releaseProxy, transfer, type Endpoint, type Remote } from "comlink";
import { StoreError, isStoreError } from "./errors.js";
import { registerWireHandlers } from "./wire.js";

/**
 * The page's end of the worker connection. Comlink alone lets a call hang forever when the worker
 * dies or stalls; this layer gives every call a deadline (TIMEOUT), notices a dead worker with a
 * heartbeat while calls are pending (WORKER_GONE), and turns values that cannot be cloned into
 * INVALID_ARGUMENT before they reach the worker.
 */

export interface RpcOptions {
  /** Longest a single call may take before it rejects with TIMEOUT. */
  timeoutMs?: number;
  /** How often the worker is pinged while calls are pending. */
  heartbeatMs?: number;
  /** A ping unanswered for this long means the worker is gone. */
  heartbeatTimeoutMs?: number;
  /** What to call the worker script when it fails to load. */
  workerLabel?: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** `value`, marked so that posting it moves `buffers` to the worker instead of copying them. */
export function transferring<V extends object>(value: V, buffers: ArrayBuffer[]): V {
  return buffers.length > 0 ? transfer(value, buffers) : value;
}

interface Pending {
  fail(e: StoreError): void;
}

export class Rpc<T> {
  readonly remote: Remote<T>;
  private readonly worker: Worker;
  private readonly timeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly pending = new Set<Pending>();
  private gone: StoreError | undefined;
  private refusedPosts = 0;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private pingSentAt: number | undefined;
  /**
   * Whether the worker has answered anything yet. Until it has, it may still be loading its
   * modules (seconds on a busy machine, longer in Firefox and WebKit than in Chromium): an
   * unanswered ping then says nothing, and the call deadline (TIMEOUT) and the worker's error
   * event (a script that failed to load) cover it.
   */
  private answered = false;

  constructor(worker: Worker, options: RpcOptions = {}) {
    registerWireHandlers();
    this.worker = worker;
    // Counts the messages postMessage refused (a value it cannot clone) as it refuses them, so a
    // caller can tell at once, before any other call goes out, that its message never left.
    const endpoint: Endpoint = {
      postMessage: (message: unknown, transfers?: Transferable[]) => {
        try {
          worker.postMessage(message, transfers ?? []);
        } catch (e) {
          this.refusedPosts++;
          throw e;
        }
      },
      addEventListener: worker.addEventListener.bind(worker),
      removeEventListener: worker.removeEventListener.bind(worker),
    };
    this.remote = wrap<T>(endpoint);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3_000;
    // An error event on the worker itself means its script failed to load or run at top level.
    worker.addEventListener("error", (event) => {
      event.preventDefault?.();
      const message = (event as ErrorEvent).message;
      this.markGone(
        message
          ? `the worker failed: ${message}`
          : `the worker script${options.workerLabel ? `, ${options.workerLabel},` : ""} failed to load (not served, a network error, or a syntax error). ` +
              "If a bundler pre-bundles idb-checkpoint (Vite's optimizeDeps), the worker file may not be served: see the README's bundler notes",
      );
    });
  }

  /** Calls sent and not yet answered. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** How many messages postMessage has refused so far (compare before and after a call). */
  get refused(): number {
    return this.refusedPosts;
  }

  /** True once the worker is known to be dead or was terminated. */
  get isGone(): boolean {
    return this.gone !== undefined;
  }

  /** Runs one call against the worker with a deadline; rejects with WORKER_GONE if it dies meanwhile. */
  call<R>(label: string, fn: (remote: Remote<T>) => Promise<R>, timeoutMs = this.timeoutMs): Promise<R> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise<R>((resolve, reject) => {
      let done = false;
      const entry: Pending = {
        fail: (e) => settle(() => reject(e)),
      };
      const timer = setTimeout(
        () =>
          entry.fail(
            new StoreError("TIMEOUT", `${label} did not answer within ${timeoutMs} ms; its outcome is unknown`, { retryable: true }),
          ),
        timeoutMs,
      );
      const settle = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pending.delete(entry);
        if (this.pending.size === 0) this.stopHeartbeat();
        f();
      };
      this.pending.add(entry);
      this.startHeartbeat();
      let call: Promise<R>;
      try {
        call = fn(this.remote);
      } catch (e) {
        settle(() => reject(translate(e, label)));
        return;
      }
      call.then(
        (value) => ((this.answered = true), settle(() => resolve(value))),
        (e) => settle(() => reject(translate(e, label))),
      );
    });
  }

  /** Passes a callback to the worker (Comlink proxies it back to this thread). */
  callback<F extends (...args: never[]) => unknown>(fn: F): F {
    return proxy(fn) as unknown as F;
  }

  /** Ends the worker; pending calls reject with WORKER_GONE, or with `error` when given. */
  terminate(reason = "the store was closed", error?: StoreError): void {
    this.markGone(reason, error);
    this.worker.terminate();
    try {
      (this.remote as unknown as Record<symbol, () => void>)[releaseProxy]();
    } catch {
      // the port is already closed
    }
  }

  private markGone(reason: string, error?: StoreError): void {
    if (this.gone) return;
    // Not retryable: this store's worker will not come back; open a new store to go on.
    this.gone = error ?? new StoreError("WORKER_GONE", `the store's worker is gone: ${reason}`, { retryable: false });
    this.stopHeartbeat();
    for (const p of [...this.pending]) p.fail(this.gone);
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== undefined || this.gone) return;
    this.heartbeat = setInterval(() => {
      if (this.pingSentAt !== undefined) {
        if (this.answered && performance.now() - this.pingSentAt > this.heartbeatTimeoutMs) {
          this.markGone(`it stopped answering for ${this.heartbeatTimeoutMs} ms`);
          this.worker.terminate();
        }
        return;
      }
      const sent = performance.now();
      this.pingSentAt = sent;
      (this.remote as unknown as { ping(): Promise<unknown> }).ping().then(
        () => {
          this.answered = true;
          if (this.pingSentAt === sent) this.pingSentAt = undefined;
        },
        () => {},
      );
    }, this.heartbeatMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.pingSentAt = undefined;
  }
}

function translate(e: unknown, label: string): unknown {
  if (isStoreError(e)) return e;
  const name = typeof e === "object" && e !== null ? (e as { name?: unknown }).name : undefined;
  // postMessage refuses functions, symbols, proxies and the like on this side, before the worker sees anything.
  if (name === "DataCloneError") {
    return new StoreError("INVALID_ARGUMENT", `${label}: an argument cannot be sent to the worker (${(e as Error).message})`, { cause: e });
  }
  return e;
}
