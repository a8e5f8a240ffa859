import { integrity } from "./chunk-rows.js";

/**
 * What a store keeps in its own rows to find a payload again: [raw length, CRC-32 of the raw
 * bytes, key of the payload's row in `blobs` or the payload itself, its codec when deflated].
 * A tuple, since one sits in nearly every row a store writes. The CRC binds the reference to its
 * row: rows swapped behind the library's back are each internally consistent, and only this
 * tells them apart. A payload whose stored form is at most INLINE_MAX bytes travels in the
 * reference: a row of its own would cost a key, the row's fields, the key again here and a
 * request on every read and delete, about as much as a checkpoint's header holds.
 */
export type PayloadRef = [size: number, crc: number, where: string | Uint8Array, codec?: 1 | 2];

/** A reference taken apart; also the object form references had in the first layout. */
export interface RefParts {
  /** Key of the payload's row in `blobs`; empty when inline. */
  id: string;
  size: number;
  /** Absent in the oldest references. */
  crc?: number;
  inline?: Uint8Array;
  codec?: 1 | 2;
}

/** The parts of a reference of either layout, checked: a malformed one is INTEGRITY. */
export function partsOf(ref: PayloadRef | RefParts): RefParts {
  let parts: RefParts | undefined;
  if (Array.isArray(ref)) {
    const [size, crc, where, codec] = ref;
    if (typeof crc === "number" && typeof where === "string") parts = { id: where, size, crc, codec };
    if (typeof crc === "number" && where instanceof Uint8Array) parts = { id: "", size, crc, inline: where, codec };
  } else if (ref && typeof ref === "object" && typeof ref.id === "string") {
    parts = ref;
  }
  const ok =
    parts !== undefined &&
    Number.isSafeInteger(parts.size) &&
    parts.size >= 0 &&
    (parts.crc === undefined ? parts.inline === undefined : typeof parts.crc === "number") &&
    (parts.inline === undefined || parts.inline instanceof Uint8Array) &&
    (parts.codec === undefined || parts.codec === 1 || parts.codec === 2);
  if (!ok) throw integrity("a payload reference is malformed");
  return parts!;
}

/**
 * Payloads whose stored (deflated or raw) form is at most this many bytes travel inside their
 * reference, in the store's own row. Larger ones keep rows of their own, so that the stores'
 * rows stay small enough to scan.
 */
export const INLINE_MAX = 1024;
