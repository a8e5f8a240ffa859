/**
 * The Web Locks API (`navigator.locks`) where the platform has it, in pages and workers: locks
 * shared by every tab and worker of the origin, freed by the browser when their holder dies.
 * Where it is missing (Node, Safari before 15.4) a stand-in with the same queueing rules serves
 * this JavaScript realm only.
 */

export type LockMode = "exclusive" | "shared";

export interface LockRequestOptions {
  mode?: LockMode;
  ifAvailable?: boolean;
  signal?: AbortSignal;
}

export interface LockManagerLike {
  request<T>(name: string, options: LockRequestOptions, cb: (lock: unknown) => T | Promise<T>): Promise<T>;
  query(): Promise<{ held?: Array<{ name?: string; mode?: LockMode }>; pending?: Array<{ name?: string; mode?: LockMode }> }>;
}

/** The origin's lock manager, or this realm's stand-in. */
export function lockManager(): LockManagerLike {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks && typeof nav.locks.request === "function" ? nav.locks : localLocks;
}

/** True when locks reach every tab of the origin (the Web Locks API exists here). */
export function locksSpanTabs(): boolean {
  return lockManager() !== localLocks;
}

interface Waiter {
  mode: LockMode;
  grant(): void;
}

interface LockState {
  holders: Map<object, LockMode>;
  queue: Waiter[];
}

/** FIFO locks with shared and exclusive modes, as the Web Locks API grants them. */
const localLocks: LockManagerLike = (() => {
  const locks = new Map<string, LockState>();
  const stateOf = (name: string) => {
    let s = locks.get(name);
    if (!s) locks.set(name, (s = { holders: new Map(), queue: [] }));
    return s;
  };
  const grantable = (s: LockState, mode: LockMode) =>
    s.holders.size === 0 || (mode === "shared" && [...s.holders.values()].every((m) => m === "shared"));
  const pump = (name: string, s: LockState) => {
    while (s.queue.length && grantable(s, s.queue[0].mode)) s.queue.shift()!.grant();
    if (s.holders.size === 0 && s.queue.length === 0) locks.delete(name);
  };
  return {
    async request(name, options, cb) {
      const mode = options.mode ?? "exclusive";
      const s = stateOf(name);
      const token = {};
      if (s.queue.length === 0 && grantable(s, mode)) s.holders.set(token, mode);
      else if (options.ifAvailable) {
        pump(name, s);
        return cb(null);
      } else {
        options.signal?.throwIfAborted();
        await new Promise<void>((resolve, reject) => {
          const waiter: Waiter = {
            mode,
            grant: () => {
              options.signal?.removeEventListener("abort", abort);
              s.holders.set(token, mode);
              resolve();
            },
          };
          const abort = () => {
            s.queue.splice(s.queue.indexOf(waiter), 1);
            pump(name, s);
            reject(options.signal?.reason);
          };
          options.signal?.addEventListener("abort", abort, { once: true });
          s.queue.push(waiter);
        });
      }
      try {
        return await cb({ name, mode });
      } finally {
        s.holders.delete(token);
        pump(name, s);
      }
    },
    async query() {
      const held: Array<{ name: string; mode: LockMode }> = [];
      const pending: Array<{ name: string; mode: LockMode }> = [];
      for (const [name, s] of locks) {
        for (const mode of s.holders.values()) held.push({ name, mode });
        for (const w of s.queue) pending.push({ name, mode: w.mode });
      }
      return { held, pending };
    },
  };
})();
