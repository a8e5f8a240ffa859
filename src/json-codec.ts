import type { Codec } from "./codec.js";
import { StoreError, invalid, isStoreError } from "./errors.js";
import { describe, isPlainObject } from "./validate.js";

/**
 * What jsonCodec returns: a Codec that says it is JSON. The mark lets TypedCheckpointStore take
 * `jsonCodec()` without a type argument (its state is then `unknown`), while any other codec
 * must match the checkpoint type it stores.
 */
export interface JsonCodec<T = unknown> extends Codec<T> {
  readonly format: "json";
}

/**
 * JSON.stringify's replacer, called with the holder as `this`: refuses what JSON would write as
 * something else, so a state loads back as it was saved or is not saved at all. `this[key]` is
 * the value before toJSON (a Date arrives as its string otherwise). Two changes are let through,
 * since they read back the same: a property whose value is undefined is left out, and -0 is 0.
 */
function refuseLossy(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  const where = key === "" ? "the value" : `"${key}"`;
  if (typeof raw === "number" && !Number.isFinite(raw)) throw invalid(`${where} is ${raw}, which JSON writes as null`);
  if (Array.isArray(this) && (raw === undefined || typeof raw === "function" || typeof raw === "symbol")) {
    throw invalid(`array item ${key} is ${describe(raw)} (or a hole), which JSON writes as null`);
  }
  if (typeof raw === "function" || typeof raw === "symbol") throw invalid(`${where} is ${describe(raw)}, which JSON leaves out`);
  if (typeof raw === "object" && raw !== null) {
    if (!Array.isArray(raw) && !isPlainObject(raw)) throw invalid(`${where} is ${describe(raw)}, which JSON does not read back as itself`);
    if (typeof (raw as { toJSON?: unknown }).toJSON === "function") throw invalid(`${where} has a toJSON method: JSON would write what it returns`);
    if (Object.getOwnPropertySymbols(raw).length > 0) throw invalid(`${where} has symbol keys, which JSON leaves out`);
  }
  return value;
}

/**
 * The default codec: UTF-8 JSON of plain data (objects, arrays, strings, finite numbers,
 * booleans, null). A value JSON cannot represent faithfully (NaN, a Date, a Map, a typed array,
 * a class instance, undefined in an array, a cycle, a bigint) is refused on encode with
 * INVALID_ARGUMENT rather than silently changed; bytes that are not JSON fail on decode with
 * INTEGRITY, as damaged stored data.
 */
export function jsonCodec<T = unknown>(): JsonCodec<T> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return {
    format: "json",
    encode(value) {
      let text: string | undefined;
      try {
        text = JSON.stringify(value, refuseLossy);
      } catch (e) {
        if (isStoreError(e)) throw e;
        throw invalid(`the value cannot be encoded as JSON: ${(e as Error).message}`);
      }
      if (text === undefined) throw invalid("the value cannot be encoded as JSON");
      return encoder.encode(text);
    },
    decode(bytes) {
      try {
        return JSON.parse(decoder.decode(bytes)) as T;
      } catch (e) {
        throw new StoreError("INTEGRITY", "stored bytes are not the JSON this codec wrote", { cause: e });
      }
    },
  };
}
