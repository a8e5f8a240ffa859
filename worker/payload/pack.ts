import { deflateSync } from "fflate";
import { DEFLATE_DICTIONARY } from "./deflate-dictionary.js";
import { SMALL_DEFLATE_MAX, deflateSmall } from "./small-deflate.js";
import type { Codec } from "./chunk-rows.js";

/** Below this, deflate's header costs more than it saves. */
export const MIN_COMPRESS_BYTES = 64;

/**
 * Deflated with the preset dictionary (codec 2) when that gains at least 5%, else a copy of the
 * raw bytes (a caller may reuse its buffer). Codec 1, deflate without it, is still read.
 */
export function pack(bytes: Uint8Array): { codec: Codec; data: Uint8Array } {
  if (bytes.length >= MIN_COMPRESS_BYTES) {
    // Both write a stream that inflates with the dictionary: small-deflate.ts spares a small
    // payload fflate's fixed cost per call.
    const packed = bytes.length <= SMALL_DEFLATE_MAX ? deflateSmall(bytes) : deflateSync(bytes, { level: 6, dictionary: DEFLATE_DICTIONARY });
    if (packed.length < bytes.length * 0.95) return { codec: 2, data: packed };
  }
  return { codec: 0, data: bytes.slice() };
}

/** The raw form: a copy, to be compressed later (worker/payload/compactor.ts). */
export function packLater(bytes: Uint8Array): { codec: Codec; data: Uint8Array } {
  return { codec: 0, data: bytes.slice() };
}
