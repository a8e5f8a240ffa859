import type { Stores } from "./types.js";

type StoreKey = Exclude<keyof Stores, "close" | "flush">;
type MethodsOf<K extends StoreKey> = ReadonlyArray<Extract<keyof Stores[K], string>>;

/**
 * Every method the worker answers, by store. The page builds its client objects from this list
 * and the worker refuses anything not on it, so a message can never reach `constructor` or a
 * private helper of a store.
 */
export const STORE_METHODS: { readonly [K in StoreKey]: MethodsOf<K> } = {
  threads: ["save", "load", "loadLatest", "list", "delete", "deleteThread", "count", "listThreads"],
  saver: ["put", "putWrites", "getTuple", "list", "deleteThread", "getDeltaChannelHistory", "batch", "copyThread", "prune", "deleteForRuns", "listThreads"],
  runs: [
    "createRun",
    "getRun",
    "updateRunStatus",
    "saveCheckpoint",
    "loadCheckpoint",
    "loadCheckpointAt",
    "listCheckpoints",
    "listNodeCheckpoints",
    "appendEvent",
    "getEvents",
    "deleteRun",
  ],
  blobs: ["save", "load", "loadLatest", "list", "delete"],
  events: ["append", "finishTurn", "getTurn", "getTurns", "getEvents", "clear"],
};

export type { StoreKey };

export function isStoreMethod(store: unknown, method: unknown): store is StoreKey {
  if (typeof store !== "string" || typeof method !== "string") return false;
  if (!Object.prototype.hasOwnProperty.call(STORE_METHODS, store)) return false;
  return (STORE_METHODS[store as StoreKey] as readonly string[]).includes(method);
}
