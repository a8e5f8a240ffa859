import type { Codec } from "./codec.js";
import { StoreError, invalid } from "./errors.js";

/**
 * What jsonCodec returns: a Codec that says it is JSON. The mark lets TypedCheckpointStore take
 * `jsonCodec()` without a type argument (its state is then `unknown`), while any other codec
 * must match the checkpoint type it stores.
 */
export interface JsonCodec<T = unknown> extends Codec<T> {
  readonly format: "json";
}

/**
 * The default codec: UTF-8 JSON. A value JSON cannot represent faithfully (a cycle, a bigint)
 * is refused on encode rather than silently changed; bytes that are not JSON fail on decode
 * with INTEGRITY, as damaged stored data.
 */
export function jsonCodec<T = unknown>(): JsonCodec<T> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return {
    format: "json",
    encode(value) {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (e) {
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
