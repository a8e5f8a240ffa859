import { DEFLATE_DICTIONARY } from "./deflate-dictionary.js";
import { canonical, huffmanLengths, reverse, type Codes } from "./huffman.js";

/**
 * Deflate (RFC 1951) for small payloads: a checkpoint header, a message, a pending write. LZ77
 * against the preset dictionary of codec 2 and the payload itself, then one final block with the
 * fixed Huffman codes or with codes built for it, whichever is shorter. fflate reads it back
 * (`inflateSync` with the dictionary), so its rows are ordinary codec 2 rows.
 *
 * Why not fflate's deflateSync here: each of its calls allocates and clears about 170 KB of
 * tables and hashes the whole dictionary again, 45 – 60 µs in Node whatever the input's size,
 * and a graph step stores several such payloads. Here the dictionary's hash chains are built
 * once and every table is reused: 10 – 14 µs for the same payloads, within a few bytes of
 * fflate's level 6 (test/unit/small-deflate.test.ts). pack.ts uses fflate above
 * SMALL_DEFLATE_MAX, where its fixed cost no longer matters.
 */
export const SMALL_DEFLATE_MAX = 4096;

const DICT = DEFLATE_DICTIONARY;
const D = DICT.length;
const HASH_BITS = 12;
const HASH_SIZE = 1 << HASH_BITS;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
/** Candidates tried per position: enough for the short, repetitive text of agent state. */
const MAX_CHAIN = 48;
/** A match at least this long is taken without looking further. */
const NICE = 64;

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

/** Fixed literal/length codes, bit-reversed for an LSB-first stream, and their lengths. */
const LIT_CODE = new Uint16Array(288);
const LIT_BITS = new Uint8Array(288);
for (let s = 0; s < 288; s++) {
  const [base, first, bits] = s < 144 ? [0x30, 0, 8] : s < 256 ? [0x190, 144, 9] : s < 280 ? [0, 256, 7] : [0xc0, 280, 8];
  LIT_CODE[s] = reverse(base + s - first, bits);
  LIT_BITS[s] = bits;
}
const DIST_CODE = Uint8Array.from({ length: 30 }, (_, d) => reverse(d, 5));

/** Length 3..258 -> its code index (0..28); distance 1..32768 -> its code (0..29). */
const LEN_INDEX = new Uint8Array(MAX_MATCH + 1);
for (let i = 0; i < 29; i++) for (let l = LEN_BASE[i]; l < (i < 28 ? LEN_BASE[i + 1] : MAX_MATCH + 1); l++) LEN_INDEX[l] = i;
function distIndex(d: number): number {
  let i = 0;
  while (i < 29 && DIST_BASE[i + 1] <= d) i++;
  return i;
}

const hashAt = (buf: Uint8Array, p: number) => (((buf[p] << 8) ^ (buf[p + 1] << 4) ^ buf[p + 2]) * 0x9e37) & (HASH_SIZE - 1);

// The window: the dictionary, then the payload. Chains of the dictionary's positions are built
// once; each call starts from a copy of their heads.
const win = new Uint8Array(D + SMALL_DEFLATE_MAX);
win.set(DICT);
const prev = new Int32Array(D + SMALL_DEFLATE_MAX);
const dictHead = new Int32Array(HASH_SIZE).fill(-1);
for (let p = 0; p + MIN_MATCH <= D; p++) {
  const h = hashAt(win, p);
  prev[p] = dictHead[h];
  dictHead[h] = p;
}
const head = new Int32Array(HASH_SIZE);
/** The parse: a literal byte, or (length << 16 | distance) with bit 31 set. */
const syms = new Uint32Array(SMALL_DEFLATE_MAX + 1);
const MATCH = 0x80000000;
const litFreq = new Uint32Array(286);
const distFreq = new Uint32Array(30);
/** Worst case: 9 bits a literal, plus the block header, a dynamic table and the end code. */
const out = new Uint8Array(Math.ceil((SMALL_DEFLATE_MAX * 9) / 8) + 512);

/** Bits written least significant first, as deflate packs them. */
class BitWriter {
  o = 0;
  private acc = 0;
  private bits = 0;
  put(value: number, count: number): void {
    this.acc |= value << this.bits;
    this.bits += count;
    while (this.bits >= 8) {
      out[this.o++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.bits -= 8;
    }
  }
  done(): Uint8Array {
    if (this.bits > 0) out[this.o++] = this.acc & 0xff;
    return out.slice(0, this.o);
  }
}

/** A raw deflate stream of `bytes` (at most SMALL_DEFLATE_MAX) against the codec 2 dictionary. */
export function deflateSmall(bytes: Uint8Array): Uint8Array {
  const count = parse(bytes);
  const dynamicBits = dynamicCodes();
  const w = new BitWriter();
  w.put(1, 1); // BFINAL
  if (dynamicBits < fixedBits()) {
    w.put(2, 2); // BTYPE 10: codes described in the block
    writeDynamicHeader(w);
    writeSymbols(w, count, lit, dist);
  } else {
    w.put(1, 2); // BTYPE 01: fixed codes
    writeSymbols(w, count, FIXED_LIT, FIXED_DIST);
  }
  return w.done();
}

/** LZ77 over the dictionary and `bytes`: fills syms and the frequencies; returns the count. */
function parse(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n > SMALL_DEFLATE_MAX) throw new RangeError(`deflateSmall takes at most ${SMALL_DEFLATE_MAX} bytes`);
  win.set(bytes, D);
  head.set(dictHead);
  litFreq.fill(0);
  distFreq.fill(0);
  const end = D + n;
  const insert = (p: number) => {
    const h = hashAt(win, p);
    prev[p] = head[h];
    head[h] = p;
  };
  let count = 0;
  let p = D;
  while (p < end) {
    let bestLen = 0;
    let bestDist = 0;
    if (p + MIN_MATCH <= end) {
      const max = Math.min(MAX_MATCH, end - p);
      let cand = head[hashAt(win, p)];
      for (let chain = MAX_CHAIN; cand >= 0 && chain > 0; chain--, cand = prev[cand]) {
        if (win[cand + bestLen] !== win[p + bestLen]) continue;
        let l = 0;
        while (l < max && win[cand + l] === win[p + l]) l++;
        if (l > bestLen) {
          bestLen = l;
          bestDist = p - cand;
          if (l >= NICE || l === max) break;
        }
      }
    }
    if (bestLen >= MIN_MATCH) {
      syms[count++] = (MATCH | (bestLen << 16) | bestDist) >>> 0;
      litFreq[257 + LEN_INDEX[bestLen]]++;
      distFreq[distIndex(bestDist)]++;
      for (const stop = p + bestLen; p < stop; p++) if (p + MIN_MATCH <= end) insert(p);
    } else {
      syms[count++] = win[p];
      litFreq[win[p]]++;
      if (p + MIN_MATCH <= end) insert(p);
      p++;
    }
  }
  litFreq[256] = 1;
  return count;
}

const FIXED_LIT: Codes = { code: LIT_CODE, bits: LIT_BITS };
const FIXED_DIST: Codes = { code: Uint16Array.from(DIST_CODE), bits: new Uint8Array(30).fill(5) };

function extraBits(): number {
  let extra = 0;
  for (let i = 0; i < 29; i++) extra += litFreq[257 + i] * LEN_EXTRA[i];
  for (let i = 0; i < 30; i++) extra += distFreq[i] * DIST_EXTRA[i];
  return extra;
}

function fixedBits(): number {
  let bits = 3 + extraBits();
  for (let s = 0; s < 286; s++) bits += litFreq[s] * LIT_BITS[s];
  for (let d = 0; d < 30; d++) bits += distFreq[d] * 5;
  return bits;
}

function writeSymbols(w: BitWriter, count: number, litCodes: Codes, distCodes: Codes): void {
  for (let i = 0; i < count; i++) {
    const s = syms[i];
    if (s < MATCH) {
      w.put(litCodes.code[s], litCodes.bits[s]);
      continue;
    }
    const len = (s >>> 16) & 0x1ff;
    const d = s & 0xffff;
    const li = LEN_INDEX[len];
    w.put(litCodes.code[257 + li], litCodes.bits[257 + li]);
    if (LEN_EXTRA[li]) w.put(len - LEN_BASE[li], LEN_EXTRA[li]);
    const di = distIndex(d);
    w.put(distCodes.code[di], distCodes.bits[di]);
    if (DIST_EXTRA[di]) w.put(d - DIST_BASE[di], DIST_EXTRA[di]);
  }
  w.put(litCodes.code[256], litCodes.bits[256]);
}

/** Order in which the code-length code's lengths are sent (RFC 1951, 3.2.7). */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

// Reused by every call: the trees' frequencies, lengths and codes, and the run-length coded list.
const lf = new Uint32Array(286);
const df = new Uint32Array(30);
const clf = new Uint32Array(19);
const lit: Codes = { code: new Uint16Array(286), bits: new Uint8Array(286) };
const dist: Codes = { code: new Uint16Array(30), bits: new Uint8Array(30) };
const cl: Codes = { code: new Uint16Array(19), bits: new Uint8Array(19) };
const lengths = new Uint8Array(286 + 30);
const rleSym = new Uint8Array(286 + 30);
const rleExtra = new Uint8Array(286 + 30);
let rleCount = 0;

const pushRle = (sym: number, extra: number) => {
  rleSym[rleCount] = sym;
  rleExtra[rleCount++] = extra;
};
const RLE_EXTRA_BITS = (sym: number) => (sym === 16 ? 2 : sym === 17 ? 3 : sym === 18 ? 7 : 0);

/** Codes built for this block's frequencies and the bits the block costs with them. */
function dynamicCodes(): number {
  // Both trees must be complete codes of at least two symbols: pad with a zero-cost neighbour.
  lf.set(litFreq);
  df.set(distFreq);
  let usedDist = 0;
  for (let i = 0; i < 30; i++) if (df[i]) usedDist++;
  if (usedDist < 2) {
    if (df[0] === 0) df[0] = 1;
    else df[1] = 1;
  }
  let usedLit = 0;
  for (let i = 0; i < 286; i++) if (lf[i]) usedLit++;
  if (usedLit < 2) lf[lf[0] > 0 ? 1 : 0] = 1;
  huffmanLengths(lf, 286, 15, lit.bits);
  huffmanLengths(df, 30, 15, dist.bits);
  hlit = 286;
  while (hlit > 257 && lit.bits[hlit - 1] === 0) hlit--;
  hdist = 30;
  while (hdist > 1 && dist.bits[hdist - 1] === 0) hdist--;
  // The two length lists, run-length coded with symbols 16 (repeat), 17 and 18 (zeros).
  lengths.set(lit.bits.subarray(0, hlit));
  lengths.set(dist.bits.subarray(0, hdist), hlit);
  const total = hlit + hdist;
  rleCount = 0;
  for (let i = 0; i < total; ) {
    const l = lengths[i];
    let run = 1;
    while (i + run < total && lengths[i + run] === l) run++;
    i += run;
    if (l === 0) {
      while (run >= 11) {
        const r = Math.min(run, 138);
        pushRle(18, r - 11);
        run -= r;
      }
      if (run >= 3) {
        pushRle(17, run - 3);
        run = 0;
      }
    } else {
      pushRle(l, 0);
      run--;
      while (run >= 3) {
        const r = Math.min(run, 6);
        pushRle(16, r - 3);
        run -= r;
      }
    }
    for (; run > 0; run--) pushRle(l, 0);
  }
  clf.fill(0);
  for (let i = 0; i < rleCount; i++) clf[rleSym[i]]++;
  huffmanLengths(clf, 19, 7, cl.bits);
  hclen = 19;
  while (hclen > 4 && cl.bits[CL_ORDER[hclen - 1]] === 0) hclen--;
  canonical(lit, 286);
  canonical(dist, 30);
  canonical(cl, 19);
  let bits = 3 + 5 + 5 + 4 + hclen * 3 + extraBits();
  for (let i = 0; i < rleCount; i++) bits += cl.bits[rleSym[i]] + RLE_EXTRA_BITS(rleSym[i]);
  for (let s = 0; s < 286; s++) bits += litFreq[s] * lit.bits[s];
  for (let d = 0; d < 30; d++) bits += distFreq[d] * dist.bits[d];
  return bits;
}
let hlit = 0;
let hdist = 0;
let hclen = 0;

function writeDynamicHeader(w: BitWriter): void {
  w.put(hlit - 257, 5);
  w.put(hdist - 1, 5);
  w.put(hclen - 4, 4);
  for (let i = 0; i < hclen; i++) w.put(cl.bits[CL_ORDER[i]], 3);
  for (let i = 0; i < rleCount; i++) {
    const s = rleSym[i];
    w.put(cl.code[s], cl.bits[s]);
    if (s >= 16) w.put(rleExtra[i], RLE_EXTRA_BITS(s));
  }
}

