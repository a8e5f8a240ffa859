import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { deflateSync, inflateSync } from "fflate";
import { DEFLATE_DICTIONARY } from "../../worker/payload/deflate-dictionary";
import { SMALL_DEFLATE_MAX, deflateSmall } from "../../worker/payload/small-deflate";
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

  it("round-trips a payload whose skewed byte counts would need codes longer than deflate's 15 bits", () => {
    // Fibonacci counts of 16 byte values, shuffled so nothing repeats: with the end-of-block
    // symbol, an unlimited Huffman tree is 16 deep, so the lengths must be limited.
    const counts: number[] = [];
    for (let a = 1, b = 1, total = 0; total + a <= SMALL_DEFLATE_MAX; [a, b] = [b, a + b]) (counts.push(a), (total += a));
    const bytes = new Uint8Array(counts.flatMap((c, i) => new Array<number>(c).fill(200 + i)));
    let seed = 9;
    for (let i = bytes.length - 1; i > 0; i--) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const j = seed % (i + 1);
      [bytes[i], bytes[j]] = [bytes[j], bytes[i]];
    }
    const z = deflateSmall(bytes);
    expect(inflate(z)).toEqual(bytes);
    // A dynamic block, far shorter than fixed codes' 9 bits a byte.
    expect(z.length).toBeLessThan(bytes.length * 0.5);
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
