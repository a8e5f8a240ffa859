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
