/**
 * Checksums for chunked payloads. CRC-32 verifies bytes on every read (deflate streams are not
 * verified by fflate); a separate 64-bit hash names chunks, so two chunks that share a name but
 * not their length and CRC are told apart (see worker/payload/payloads.ts).
 */

/**
 * Slicing-by-4 tables: four bytes per step, several times faster than a byte at a time in V8.
 * Built on first use, like the tables below: code run while the worker loads delays its first
 * answer to the page (openStore), and a store that only lists or counts never needs them.
 */
let slices: Int32Array | undefined;

function crcTables(): Int32Array {
  const t = new Int32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 4; k++) t[k * 256 + n] = t[(t[(k - 1) * 256 + n] & 0xff)] ^ (t[(k - 1) * 256 + n] >>> 8);
  }
  return t;
}

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crcAndName(bytes, start, end, false).crc;
}

/**
 * CRC-32 and a 64-bit name of `bytes[start, end)` in one pass over 32-bit words. The name is two
 * independent multiplicative lanes, each finished with murmur3's avalanche: fast in plain JS, not
 * cryptographic, so a name alone never proves two chunks equal (the store compares CRC and length).
 */
export function crcAndName(bytes: Uint8Array, start: number, end: number, named = true): { crc: number; name: string } {
  const T = tables();
  let c = -1;
  let a = 0x811c9dc5 | 0;
  let b = 0x27d4eb2f | 0;
  let i = start;
  const words = end - ((end - start) & 3);
  for (; i < words; i += 4) {
    const w = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c ^= w;
    c = T[768 + (c & 0xff)] ^ T[512 + ((c >>> 8) & 0xff)] ^ T[256 + ((c >>> 16) & 0xff)] ^ T[c >>> 24];
    if (named) {
      a = Math.imul(a ^ w, 0xcc9e2d51);
      a = (a << 15) | (a >>> 17);
      b = Math.imul(b + w, 0x9e3779b1);
      b ^= b >>> 15;
    }
  }
  for (; i < end; i++) {
    const x = bytes[i];
    c = T[(c ^ x) & 0xff] ^ (c >>> 8);
    a = Math.imul(a ^ x, 0x01000193);
    b = Math.imul(b + x, 0x9e3779b1);
  }
  const crc = (c ^ -1) >>> 0;
  return { crc, name: named ? hex(fmix(a ^ (end - start))) + hex(fmix(b)) : "" };
}

const tables = (): Int32Array => (slices ??= crcTables());

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}

// crc32Combine (after zlib): the CRC of A||B from crc(A), crc(B) and len(B), by applying len(B)
// zero bytes to crc(A) as GF(2) matrices. ZEROS[k] applies 2^k zero bytes, so a combine costs
// one matrix-vector product per set bit of len(B). Writes derive the whole payload's CRC from its
// chunks' CRCs this way, and reads check it the same way, without a second pass over the bytes.

function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i];
  return sum >>> 0;
}

function gf2Square(mat: Uint32Array): Uint32Array {
  const square = new Uint32Array(32);
  for (let n = 0; n < 32; n++) square[n] = gf2Times(mat, mat[n]);
  return square;
}

let ZEROS: Uint32Array[] | undefined;

function zeroOperators(): Uint32Array[] {
  let op: Uint32Array = new Uint32Array(32); // one zero bit
  op[0] = 0xedb88320;
  for (let n = 1; n < 32; n++) op[n] = 1 << (n - 1);
  for (let k = 0; k < 3; k++) op = gf2Square(op); // eight zero bits: one byte
  const zeros: Uint32Array[] = [op];
  for (let k = 1; k < 53; k++) zeros.push(gf2Square(zeros[k - 1]));
  return zeros;
}

export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  const zeros = (ZEROS ??= zeroOperators());
  for (let k = 0; len2 > 0; k++, len2 = Math.floor(len2 / 2)) if (len2 % 2 === 1) crc1 = gf2Times(zeros[k], crc1);
  return (crc1 ^ crc2) >>> 0;
}

/** A 64-bit name of a string (two multiplicative lanes over its UTF-16 code units). */
export function nameOfString(s: string): string {
  let a = 0x811c9dc5 | 0;
  let b = 0x27d4eb2f | 0;
  for (let i = 0; i < s.length; i++) {
    const x = s.charCodeAt(i);
    a = Math.imul(a ^ x, 0x01000193);
    b = Math.imul(b + x, 0x9e3779b1);
    b ^= b >>> 15;
  }
  return hex(fmix(a ^ s.length)) + hex(fmix(b));
}
