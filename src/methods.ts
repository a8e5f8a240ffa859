import type { Stores } from "./types.js";
import type { SaverSync } from "./sync/store-types.js";

/** The five stores, and the saver's sync support (src/sync/ uses it; not one of the contracts). */
type Hosted = Stores & { sync: SaverSync };
type StoreKey = Exclude<keyof Stores, "close" | "flush">;
type HostedKey = StoreKey | "sync";
type MethodsOf<K extends HostedKey> = ReadonlyArray<Extract<keyof Hosted[K], string>>;

/**
 * Every method the worker answers, by store. The page builds its client objects from this list
 * and the worker refuses anything not on it, so a message can never reach `constructor` or a
 * private helper of a store.
 */
export const STORE_METHODS: { readonly [K in HostedKey]: MethodsOf<K> } = {
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
  sync: ["enable", "exportChanges", "pendingCount", "trim", "put", "putWrites", "deleteThread", "has", "getMark", "setMark"],
  memory: ["batch", "get", "put", "delete", "search", "listNamespaces", "sweep"],
};

export type { StoreKey, HostedKey };

export function isStoreMethod(store: unknown, method: unknown): store is HostedKey {
  if (typeof store !== "string" || typeof method !== "string") return false;
  if (!Object.prototype.hasOwnProperty.call(STORE_METHODS, store)) return false;
  return (STORE_METHODS[store as HostedKey] as readonly string[]).includes(method);
}
