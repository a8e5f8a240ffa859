import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { deflateSync, inflateSync } from "fflate";
import { DEFLATE_DICTIONARY } from "../../worker/payload/deflate-dictionary";
import { SMALL_DEFLATE_MAX, deflateSmall } from "../../worker/payload/small-deflate";
import { canonical, huffmanLengths } from "../../worker/payload/huffman";
import { text } from "../payload/text";

const inflate = (z: Uint8Array) => inflateSync(z, { dictionary: DEFLATE_DICTIONARY });
const fflateSize = (b: Uint8Array) => deflateSync(b, { level: 6, dictionary: DEFLATE_DICTIONARY }).length;
const enc = new TextEncoder();

/** Bytes like what agent state serializes to: pieces of the dictionary, words, repeats, noise. */
const agentLike = fc
  .array(
    fc.oneof(
      fc.tuple(fc.nat(DEFLATE_DICTIONARY.length - 1), fc.integer({ min: 1, max: 300 })).map(([at, n]) => DEFLATE_DICTIONARY.slice(at, at + n)),
      fc.tuple(fc.integer({ min: 1, max: 600 }), fc.nat()).map(([n, seed]) => text(n, seed)),
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 700 })).map(([b, n]) => new Uint8Array(n).fill(b)),
    ),
    { maxLength: 12 },
  )
  .map((parts) => {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) all.set(p, (at += p.length) - p.length);
    return all.subarray(0, SMALL_DEFLATE_MAX);
  });

describe("deflateSmall", () => {
  it("writes a stream that inflates back to the same bytes with the codec 2 dictionary", () => {
    fc.assert(
      fc.property(agentLike, (bytes) => {
        expect(inflate(deflateSmall(bytes))).toEqual(bytes);
      }),
      { numRuns: 600 },
    );
  });

  it("round-trips the edges: empty, one byte, one long run, incompressible, and the largest size", () => {
    const cases = [new Uint8Array(0), new Uint8Array([7]), new Uint8Array(SMALL_DEFLATE_MAX).fill(97), crypto.getRandomValues(new Uint8Array(SMALL_DEFLATE_MAX)), DEFLATE_DICTIONARY.slice(0, SMALL_DEFLATE_MAX)];
    for (const bytes of cases) expect(inflate(deflateSmall(bytes))).toEqual(bytes);
  });

  it("is as small as fflate's level 6 on agent-like data, within a few bytes", () => {
    fc.assert(
      fc.property(agentLike, (bytes) => {
        expect(deflateSmall(bytes).length).toBeLessThanOrEqual(Math.ceil(fflateSize(bytes) * 1.06) + 8);
      }),
      { numRuns: 300 },
    );
    const message = enc.encode(JSON.stringify({ lc: 1, type: "constructor", id: ["langchain_core", "messages", "AIMessage"], kwargs: { content: new TextDecoder().decode(text(800, 3)), tool_calls: [] } }));
    expect(deflateSmall(message).length).toBeLessThanOrEqual(fflateSize(message) + 8);
  });

  it("refuses more than SMALL_DEFLATE_MAX bytes", () => {
    expect(() => deflateSmall(new Uint8Array(SMALL_DEFLATE_MAX + 1))).toThrow(RangeError);
  });
});

describe("huffman codes", () => {
  /** Kraft sum of the code lengths: exactly 1 for a complete prefix code. */
  const kraft = (bits: Uint8Array) => bits.reduce((sum, l) => (l ? sum + 2 ** -l : sum), 0);

  it("limits code lengths to the maximum and keeps the code complete when the frequencies are skewed", () => {
    // Frequencies where each exceeds the sum of all smaller ones: an unlimited tree is a chain.
    const freq = new Uint32Array(19);
    for (let i = 0, f = 1; i < 19; i++, f = f * 2 + 1) freq[i] = f;
    for (const limit of [7, 15]) {
      const bits = new Uint8Array(19);
      huffmanLengths(freq, 19, limit, bits);
      expect(Math.max(...bits)).toBe(limit);
      expect(bits.every((l) => l > 0)).toBe(true);
      expect(kraft(bits)).toBe(1);
    }
  });

  it("gives every used symbol a code, no two codes a common prefix", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(5000), { minLength: 2, maxLength: 286 }), (counts) => {
        const freq = Uint32Array.from(counts);
        if (freq.filter((f) => f > 0).length < 2) return;
        const codes = { code: new Uint16Array(freq.length), bits: new Uint8Array(freq.length) };
        huffmanLengths(freq, freq.length, 15, codes.bits);
        canonical(codes, freq.length);
        expect(Math.max(...codes.bits)).toBeLessThanOrEqual(15);
        expect(kraft(codes.bits)).toBe(1);
        const words = [...codes.bits].flatMap((l, s) => (l ? [[...Array(l)].map((_, i) => (codes.code[s] >> i) & 1).join("")] : []));
        expect(words.length).toBe(freq.filter((f) => f > 0).length);
        for (const w of words) for (const v of words) if (w !== v) expect(v.startsWith(w)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
