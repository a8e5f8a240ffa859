/**
 * Huffman codes for deflate (RFC 1951, 3.2.2), as small-deflate.ts needs them: code lengths
 * limited to a maximum, then canonical codes, bit-reversed because deflate writes bits least
 * significant first. Scratch arrays are module-level and reused: the callers run one at a time.
 */

export interface Codes {
  code: Uint16Array;
  bits: Uint8Array;
}

export const reverse = (code: number, bits: number) => {
  let r = 0;
  for (let i = 0; i < bits; i++) r |= ((code >> i) & 1) << (bits - 1 - i);
  return r;
};

// Scratch for building trees: leaves sorted by (frequency, symbol), then inner nodes.
const order = new Uint32Array(286);
const weight = new Uint32Array(2 * 286);
const parent = new Int32Array(2 * 286);
const depth = new Uint8Array(2 * 286);
const freqCopy = new Uint32Array(286);

/**
 * Huffman code lengths of at most `limit` bits, into `out`, for the symbols with a nonzero
 * frequency. When the tree is too deep, frequencies are flattened (halved, kept nonzero) and the
 * tree built again.
 */
export function huffmanLengths(freq: Uint32Array, n: number, limit: number, out: Uint8Array): void {
  const f = freqCopy;
  for (let i = 0; i < n; i++) f[i] = freq[i];
  for (;;) {
    out.fill(0);
    let used = 0;
    // Frequencies stay under 2^20 (at most SMALL_DEFLATE_MAX + 1 symbols), so one number holds both.
    for (let i = 0; i < n; i++) if (f[i] > 0) order[used++] = f[i] * 512 + i;
    if (used === 1) {
      out[order[0] & 511] = 1;
      return;
    }
    const sorted = order.subarray(0, used).sort();
    for (let k = 0; k < used; k++) weight[k] = Math.floor(sorted[k] / 512);
    // Two queues: leaves in order, and inner nodes, which are made in order of weight.
    let leaf = 0;
    let inner = used;
    let next = used;
    const pick = (): number => (leaf < used && (inner >= next || weight[leaf] <= weight[inner]) ? leaf++ : inner++);
    while (next < used * 2 - 1) {
      const a = pick();
      const b = pick();
      weight[next] = weight[a] + weight[b];
      parent[a] = next;
      parent[b] = next;
      next++;
    }
    depth[next - 1] = 0;
    let deepest = 0;
    for (let k = next - 2; k >= 0; k--) {
      depth[k] = depth[parent[k]] + 1;
      if (k < used && depth[k] > deepest) deepest = depth[k];
    }
    if (deepest <= limit) {
      for (let k = 0; k < used; k++) out[sorted[k] & 511] = depth[k];
      return;
    }
    for (let i = 0; i < n; i++) if (f[i] > 0) f[i] = Math.max(1, f[i] >> 1);
  }
}

const REV8 = Uint8Array.from({ length: 256 }, (_, i) => reverse(i, 8));
const blCount = new Uint16Array(16);
const nextCode = new Uint16Array(16);

/** Canonical codes (RFC 1951, 3.2.2) for `codes.bits`, bit-reversed for an LSB-first stream. */
export function canonical(codes: Codes, n: number): void {
  blCount.fill(0);
  for (let s = 0; s < n; s++) blCount[codes.bits[s]]++;
  blCount[0] = 0;
  let code = 0;
  for (let b = 1; b < 16; b++) {
    code = (code + blCount[b - 1]) << 1;
    nextCode[b] = code;
  }
  for (let s = 0; s < n; s++) {
    const l = codes.bits[s];
    if (!l) continue;
    const c = nextCode[l]++;
    codes.code[s] = ((REV8[c & 0xff] << 8) | REV8[c >> 8]) >> (16 - l);
  }
}
