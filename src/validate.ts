import { StoreError, invalid } from "./errors.js";

/**
 * Argument checks shared by every store. Each throws INVALID_ARGUMENT synchronously, so a store
 * calls them before it opens a transaction and nothing is written for bad input.
 */

/** Longest id accepted: ids are IndexedDB key parts, and huge keys make every index slow. */
export const MAX_ID_LENGTH = 1024;

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export function assertId(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string") throw invalid(`${what} must be a string, got ${describe(value)}`);
  if (value.length === 0) throw invalid(`${what} must not be empty`);
  if (value.length > MAX_ID_LENGTH) throw invalid(`${what} is longer than ${MAX_ID_LENGTH} characters`);
  if (!isWellFormed(value)) throw invalid(`${what} contains a lone surrogate`);
}

/** A string that may be empty (LangGraph's root namespace is ""). */
export function assertString(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string") throw invalid(`${what} must be a string, got ${describe(value)}`);
  if (value.length > MAX_ID_LENGTH) throw invalid(`${what} is longer than ${MAX_ID_LENGTH} characters`);
  if (!isWellFormed(value)) throw invalid(`${what} contains a lone surrogate`);
}

export function assertBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalid(`${what} must be a Uint8Array, got ${describe(value)}`);
}

/** A whole number >= min (turns, sequence numbers, limits). */
export function assertCount(value: unknown, what: string, min = 0): asserts value is number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw invalid(`${what} must be a whole number >= ${min}, got ${describe(value)}`);
  }
}

export function assertGraphHash(value: unknown): asserts value is bigint {
  if (typeof value !== "bigint" || value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw invalid(`graphHash must be a u64 bigint, got ${describe(value)}`);
  }
}

/**
 * A plain object of structured-cloneable data, checked all the way down: functions, symbols,
 * class instances (other than the built-ins structured clone knows), cycles and the keys
 * __proto__ / constructor / prototype are refused, so nothing reaches a transaction that
 * would fail to clone or pollute a prototype when read back.
 */
export function assertPlainObject(value: unknown, what: string, maxBytes = Infinity): asserts value is Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid(`${what} must be a plain object, got ${describe(value)}`);
  assertSize(assertPlainData(value, what, new Set()), maxBytes, what);
}

/** PAYLOAD_TOO_LARGE when `size` (bytes, as estimated by assertPlainData) is over `maxBytes`. */
export function assertSize(size: number, maxBytes: number, what: string): void {
  if (size > maxBytes) {
    throw new StoreError("PAYLOAD_TOO_LARGE", `${what} is about ${size} bytes, over the limit of ${maxBytes}`, { retryable: false });
  }
}

/**
 * Checks `value` all the way down and returns its size in bytes as stored, estimated: strings
 * count two bytes a character (their worst case), numbers eight, binary data its length.
 */
export function assertPlainData(value: unknown, path: string, seen: Set<object> = new Set()): number {
  switch (typeof value) {
    case "string":
      return 2 * value.length;
    case "number":
    case "bigint":
      return 8;
    case "boolean":
    case "undefined":
      return 1;
    case "function":
      throw invalid(`${path} is a function, which cannot be stored`);
    case "symbol":
      throw invalid(`${path} is a symbol, which cannot be stored`);
  }
  if (value === null) return 1;
  const obj = value as object;
  if (ArrayBuffer.isView(obj)) return obj.byteLength;
  if (obj instanceof ArrayBuffer) return obj.byteLength;
  if (obj instanceof Date) return 8;
  if (obj instanceof RegExp) return 2 * obj.source.length;
  if (seen.has(obj)) throw invalid(`${path} contains a cycle`);
  seen.add(obj);
  let size = 8;
  if (Array.isArray(obj)) {
    obj.forEach((item, i) => (size += assertPlainData(item, `${path}[${i}]`, seen)));
  } else if (obj instanceof Map) {
    for (const [k, v] of obj) {
      size += assertPlainData(k, `${path} key`, seen);
      size += assertPlainData(v, `${path}.get(${String(k)})`, seen);
    }
  } else if (obj instanceof Set) {
    for (const v of obj) size += assertPlainData(v, `${path} item`, seen);
  } else if (isPlainObject(obj)) {
    for (const key of Object.keys(obj)) {
      if (FORBIDDEN_KEYS.has(key)) throw invalid(`${path} has the forbidden key "${key}"`);
      size += 2 * key.length + assertPlainData((obj as Record<string, unknown>)[key], `${path}.${key}`, seen);
    }
    if (Object.getOwnPropertySymbols(obj).length > 0) throw invalid(`${path} has symbol keys`);
  } else {
    throw invalid(`${path} is a ${obj.constructor?.name ?? "non-plain object"}, which cannot be stored`);
  }
  seen.delete(obj);
  return size;
}

/**
 * A record of string values whose keys may be used as property names safely. `forbidden` is the
 * keys refused: by default every one that names a prototype's machinery; a caller that reads the
 * record by own properties alone refuses just "__proto__" (worker/saver-validate.ts).
 */
export function assertStringRecord(value: unknown, what: string, forbidden: ReadonlySet<string> = FORBIDDEN_KEYS): asserts value is Record<string, string> {
  if (!isPlainObject(value)) throw invalid(`${what} must be a plain object, got ${describe(value)}`);
  for (const [k, v] of Object.entries(value)) {
    if (forbidden.has(k)) throw invalid(`${what} has the forbidden key "${k}"`);
    if (typeof v !== "string") throw invalid(`${what}.${k} must be a string, got ${describe(v)}`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isWellFormed(s: string): boolean {
  // String.prototype.isWellFormed is not in every supported browser yet.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return (value as object).constructor?.name ?? "an object";
  if (typeof value === "string") return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}
