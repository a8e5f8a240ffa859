/**
 * The payload module's public face: how state bytes are laid out in the `blobs` store (chunking,
 * the chunk tree, reference counts, compression, checksums, caches) is known only inside this
 * folder. Stores encode outside a transaction, then put, get and release inside one.
 */
export { Payloads, DEFAULT_CHUNKS, DEFAULT_MAX_PAYLOAD_BYTES, INLINE_MAX } from "./payloads.js";
export type { EncodedPayload, PayloadOptions, PayloadRef } from "./payloads.js";
export { MAX_CHAIN, blobLinks } from "./chunk-rows.js";
export { isUnshared } from "./reader.js";
