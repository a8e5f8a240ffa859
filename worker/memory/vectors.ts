import { StoreError } from "../../src/errors.js";

/**
 * Vector arithmetic for semantic search, in the same order of operations as LangGraph's
 * InMemoryStore (left to right sums in double precision), so that on the same vectors the scores
 * are the same numbers, not merely close ones. Stored vectors are float32; a query stays double.
 */

export function magnitude(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  return Math.sqrt(sum);
}

/**
 * Cosine similarity of a query and the stored vector at `start` (of `dims` values) given both
 * magnitudes; 0 when either is 0.
 */
export function cosine(query: ArrayLike<number>, queryNorm: number, stored: Float32Array, start: number, dims: number, norm: number): number {
  let dot = 0;
  for (let i = 0; i < dims; i++) dot += stored[start + i] * query[i];
  return queryNorm && norm ? dot / (queryNorm * norm) : 0;
}

/**
 * A block's vectors as stored: a Blob where the engine keeps one (`asBlob`), else the array.
 * A Blob is read back from its own file in one piece: 15 MB of vectors in blocks of 256 items
 * come back in Chromium in 190 – 320 ms as Blobs against 350 – 420 ms as arrays that the
 * engine wraps itself (a raw getAll in a worker, 3 runs each).
 */
export function storedVectors(vectors: Float32Array, asBlob: boolean): Float32Array | Blob {
  return asBlob ? new Blob([vectors as Float32Array<ArrayBuffer>]) : vectors;
}

/** A vectors row as read (a Blob, or an array written before Blobs were used); undefined stays so. */
export async function readVectors(stored: unknown): Promise<unknown> {
  if (!(typeof Blob === "function" && stored instanceof Blob)) return stored;
  try {
    return new Float32Array(await stored.arrayBuffer());
  } catch (e) {
    // The row is there but the browser cannot read the file behind it (NotReadableError).
    throw new StoreError("INTEGRITY", "a memory block's vectors cannot be read: the browser lost the file that held them", { cause: e, retryable: false });
  }
}
