/**
 * Text-like bytes from a seeded generator: words from a fixed vocabulary, compressible like a
 * chat, the same for the same seed (the payload tests compare stored sizes across runs).
 */
export function text(size: number, seed = 1): Uint8Array {
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const words = Array.from({ length: 3000 }, () => Array.from({ length: 2 + Math.floor(rnd() * 8) }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join(""));
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const w = words[Math.floor(rnd() * words.length)];
    parts.push(w);
    len += w.length + 1;
  }
  return new TextEncoder().encode(parts.join(" ")).slice(0, size);
}
