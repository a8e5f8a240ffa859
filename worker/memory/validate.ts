import { invalid } from "../../src/errors.js";
import { describe, isPlainObject } from "../../src/validate.js";
import type { MemoryListOp, MemoryOp, MemoryPutOp, MemorySearchOp, MemoryVector } from "../../src/types.js";

/**
 * Argument checks of the memory store. Namespaces follow LangGraph's rules for a BaseStore
 * (labels are non-empty strings without ".", ":" or NUL; the "langgraph" root is allowed, as
 * InMemoryStore's batch allows it), so an item stored here can move to any other backend. Keys
 * may be any string, the empty one and lone surrogates included: they live only in IndexedDB
 * keys, never in encoded text. Each check throws INVALID_ARGUMENT before anything is written.
 */

export const MAX_LABEL_LENGTH = 1024;
export const MAX_DEPTH = 64;
export const MAX_KEY_LENGTH = 4096;
export const MAX_DIMS = 65536;
/** A ttl in minutes up to about 190 years keeps expiry times safe integers. */
const MAX_TTL_MINUTES = 1e8;

export function assertNamespace(value: unknown, what: string, allowEmpty: boolean): asserts value is string[] {
  if (!Array.isArray(value)) throw invalid(`${what} must be an array of labels, got ${describe(value)}`);
  if (value.length === 0 && !allowEmpty) throw invalid(`${what} must not be empty`);
  if (value.length > MAX_DEPTH) throw invalid(`${what} has more than ${MAX_DEPTH} labels`);
  for (const label of value) {
    if (typeof label !== "string") throw invalid(`${what} labels must be strings, got ${describe(label)}`);
    if (label === "") throw invalid(`${what} labels must not be empty`);
    if (label.length > MAX_LABEL_LENGTH) throw invalid(`${what} has a label longer than ${MAX_LABEL_LENGTH} characters`);
    if (/[.:\0]/.test(label)) throw invalid(`${what} label ${describe(label)} contains ".", ":" or NUL`);
  }
}

export function assertKey(value: unknown): asserts value is string {
  if (typeof value !== "string") throw invalid(`key must be a string, got ${describe(value)}`);
  if (value.length > MAX_KEY_LENGTH) throw invalid(`key is longer than ${MAX_KEY_LENGTH} characters`);
}

function assertWhole(value: unknown, what: string, min: number): asserts value is number | undefined {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) throw invalid(`${what} must be a whole number >= ${min}, got ${describe(value)}`);
}

/**
 * A value is stored as JSON, so it must be JSON data: plain objects, arrays, strings, finite
 * numbers, booleans and null. Dates become ISO strings and undefined properties are left out, as
 * JSON.stringify does. Anything else would come back changed, so it is refused.
 */
export function assertJsonValue(value: unknown, path: string, seen = new Set<object>()): void {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return;
    case "number":
      if (!Number.isFinite(value)) throw invalid(`${path} is ${value}, which JSON cannot hold`);
      return;
    case "object":
      break;
    default:
      throw invalid(`${path} is a ${typeof value}, which JSON cannot hold`);
  }
  if (value === null || value instanceof Date) return;
  if (seen.has(value)) throw invalid(`${path} contains a cycle`);
  seen.add(value);
  if (Array.isArray(value)) value.forEach((v, i) => assertJsonValue(v, `${path}[${i}]`, seen));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) assertJsonValue(v, `${path}.${k}`, seen);
  else throw invalid(`${path} is a ${(value as object).constructor?.name ?? "non-plain object"}, which JSON cannot hold`);
  seen.delete(value);
}

function assertVector(value: unknown, what: string): asserts value is Float32Array | Float64Array | number[] {
  const ok = value instanceof Float32Array || value instanceof Float64Array || (Array.isArray(value) && value.every((x) => typeof x === "number"));
  if (!ok) throw invalid(`${what} must be a Float32Array or an array of numbers, got ${describe(value)}`);
  const v = value as ArrayLike<number>;
  if (v.length === 0 || v.length > MAX_DIMS) throw invalid(`${what} must have 1 to ${MAX_DIMS} dimensions, got ${v.length}`);
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw invalid(`${what} holds ${v[i]} at ${i}`);
}

function assertVectors(value: unknown): asserts value is MemoryVector[] | undefined {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw invalid(`vectors must be an array, got ${describe(value)}`);
  const fields = new Set<string>();
  let dims = -1;
  for (const [i, v] of value.entries()) {
    if (!isPlainObject(v) || typeof v.field !== "string") throw invalid(`vectors[${i}] must be { field, vector }`);
    if (fields.has(v.field)) throw invalid(`vectors[${i}] repeats the field ${describe(v.field)}`);
    fields.add(v.field);
    assertVector(v.vector, `vectors[${i}].vector`);
    const n = (v.vector as ArrayLike<number>).length;
    if (dims >= 0 && n !== dims) throw invalid(`vectors of one item must have the same dimensions (${dims} and ${n})`);
    dims = n;
  }
}

function assertPut(op: MemoryPutOp): void {
  assertNamespace(op.namespace, "namespace", false);
  assertKey(op.key);
  if (op.value !== null) {
    if (!isPlainObject(op.value)) throw invalid(`value must be a plain object or null, got ${describe(op.value)}`);
    assertJsonValue(op.value, "value");
  }
  assertVectors(op.vectors);
  if (op.ttl !== undefined && op.ttl !== null && !(typeof op.ttl === "number" && op.ttl > 0 && op.ttl <= MAX_TTL_MINUTES)) {
    throw invalid(`ttl must be a number of minutes > 0 (or null), got ${describe(op.ttl)}`);
  }
}

function assertSearch(op: MemorySearchOp): void {
  assertNamespace(op.namespacePrefix, "namespacePrefix", true);
  if (op.filter !== undefined && op.filter !== null && !isPlainObject(op.filter)) throw invalid(`filter must be a plain object, got ${describe(op.filter)}`);
  assertWhole(op.limit, "limit", 0);
  assertWhole(op.offset, "offset", 0);
  if (op.query !== undefined) assertVector(op.query, "query");
}

function assertList(op: MemoryListOp): void {
  if (op.matchConditions !== undefined) {
    if (!Array.isArray(op.matchConditions)) throw invalid(`matchConditions must be an array, got ${describe(op.matchConditions)}`);
    for (const c of op.matchConditions) {
      if (!isPlainObject(c) || (c.matchType !== "prefix" && c.matchType !== "suffix")) throw invalid(`a match condition must be { matchType: "prefix" | "suffix", path }`);
      if (!Array.isArray(c.path) || !c.path.every((l) => typeof l === "string")) throw invalid(`a match condition's path must be an array of labels`);
    }
  }
  if (op.maxDepth !== undefined && !Number.isSafeInteger(op.maxDepth)) throw invalid(`maxDepth must be a whole number, got ${describe(op.maxDepth)}`);
  assertWhole(op.limit, "limit", 0);
  assertWhole(op.offset, "offset", 0);
}

/** Checks every op of a batch before any is run. */
export function assertOps(ops: unknown): asserts ops is MemoryOp[] {
  if (!Array.isArray(ops)) throw invalid(`batch needs an array of ops, got ${describe(ops)}`);
  for (const op of ops) {
    if (!isPlainObject(op)) throw invalid(`an op must be a plain object, got ${describe(op)}`);
    switch (op.op) {
      case "get":
        assertNamespace(op.namespace, "namespace", false);
        assertKey(op.key);
        break;
      case "put":
        assertPut(op as unknown as MemoryPutOp);
        break;
      case "search":
        assertSearch(op as unknown as MemorySearchOp);
        break;
      case "list":
        assertList(op as unknown as MemoryListOp);
        break;
      default:
        throw invalid(`unknown op ${describe(op.op)}: expected "get", "put", "search" or "list"`);
    }
  }
}
