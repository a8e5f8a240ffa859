/**
 * Length of the common start of two byte arrays; four bytes at a time where both align. Both
 * delta encodings use it (the worker's chunk deltas, the sync protocol's value deltas): a new
 * version of a state mostly starts like the one before it.
 */
export function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  if (n >= 64 && a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = n >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset, words);
    const wb = new Uint32Array(b.buffer, b.byteOffset, words);
    let w = 0;
    while (w < words && wa[w] === wb[w]) w++;
    i = w * 4;
  }
  while (i < n && a[i] === b[i]) i++;
  return i;
}
