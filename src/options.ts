import { invalid } from "./errors.js";
import { assertId, describe } from "./validate.js";

/**
 * The options openStore and openEngine take, checked before anything starts: a misspelt key
 * (`timeoutMS`), a string where a number belongs or a negative timeout would otherwise be
 * ignored or switch a limit off without a word.
 */

/** How a write reaches the disk before its call resolves. */
export type Durability = "strict" | "relaxed";

/** Numeric options: the smallest value each accepts. */
const NUMBERS: Record<string, number> = {
  timeoutMs: 1,
  heartbeatMs: 1,
  heartbeatTimeoutMs: 1,
  maxPayloadBytes: 1,
  maxEventBytes: 1,
  maxMetadataBytes: 1,
  blockedTimeoutMs: 0,
  eventFlushMs: 0,
};

/** Every option either entry accepts, with the kind of value it takes. */
const KINDS: Record<string, "number" | "function" | "durability" | "name" | "worker" | "factory"> = {
  name: "name",
  durability: "durability",
  onClose: "function",
  worker: "worker",
  indexedDB: "factory",
  ...Object.fromEntries(Object.keys(NUMBERS).map((k) => [k, "number" as const])),
};

const ENGINE_ONLY = new Set(["indexedDB"]);
const PAGE_ONLY = new Set(["worker", "timeoutMs", "heartbeatMs", "heartbeatTimeoutMs"]);

/** Throws INVALID_ARGUMENT for the first option that is unknown here or has a wrong value. */
export function assertOptions(options: unknown, entry: "openStore" | "openEngine", extraKeys: readonly string[] = []): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw invalid(`${entry} needs an options object`);
  const record = options as Record<string, unknown>;
  assertId(record.name, "name");
  for (const key of Object.keys(record)) {
    const kind = KINDS[key];
    const foreign = entry === "openStore" ? ENGINE_ONLY.has(key) : PAGE_ONLY.has(key);
    if ((kind === undefined || foreign) && !extraKeys.includes(key)) {
      throw invalid(`${entry}: unknown option "${key}"${nearest(key)}`);
    }
    const value = record[key];
    if (value === undefined || kind === undefined) continue;
    switch (kind) {
      case "number":
        if (typeof value !== "number" || !Number.isFinite(value) || value < NUMBERS[key]) {
          throw invalid(`${entry}: ${key} must be a finite number >= ${NUMBERS[key]}, got ${describe(value)}`);
        }
        break;
      case "function":
        if (typeof value !== "function") throw invalid(`${entry}: ${key} must be a function, got ${describe(value)}`);
        break;
      case "durability":
        if (value !== "strict" && value !== "relaxed") throw invalid(`${entry}: durability must be "strict" or "relaxed", got ${describe(value)}`);
        break;
      case "worker":
        if (typeof (value as { postMessage?: unknown }).postMessage !== "function") throw invalid(`${entry}: worker must be a Worker, got ${describe(value)}`);
        break;
      case "factory":
        if (typeof (value as { open?: unknown }).open !== "function") throw invalid(`${entry}: indexedDB must be an IDBFactory, got ${describe(value)}`);
        break;
    }
  }
}

/** A hint for a misspelt key: the known key that differs only in case. */
function nearest(key: string): string {
  const match = Object.keys(KINDS).find((k) => k.toLowerCase() === key.toLowerCase());
  return match ? `; did you mean "${match}"?` : "";
}
