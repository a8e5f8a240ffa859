import { expect, it } from "vitest";
import { deflateSync, inflateSync } from "fflate";
import { DEFLATE_DICTIONARY } from "../../worker/payload/deflate-dictionary";
import { deflateSmall } from "../../worker/payload/small-deflate";
import { makeText, printTable, ratio, round, summarize, writeResults } from "./stats";

/**
 * The library's deflate for small payloads (worker/payload/small-deflate.ts) against fflate's
 * deflateSync with the same dictionary and level 6, on what a graph step stores: a checkpoint
 * header, a short and a long message, a tool result. Time per call (median of batches) and the
 * bytes each writes. Both run in this page, in turns.
 */
const enc = new TextEncoder();
const text = makeText(7);
const message = (kind: string, words: number) =>
  enc.encode(JSON.stringify({ lc: 1, type: "constructor", id: ["langchain_core", "messages", kind], kwargs: { content: text.words(words), tool_calls: [], additional_kwargs: {}, response_metadata: {}, id: `run-${words}` } }));
const header = enc.encode(
  JSON.stringify({
    v: 4,
    ts: "2026-12-01T10:00:00.000Z",
    id: "1f0c9a2e-1b3c-6d4e-8f00-0123456789ab",
    channel_versions: { __start__: "00000000000000000000000000000002.0.2437", messages: "00000000000000000000000000000005.0.5113", "branch:to:agent": "00000000000000000000000000000005.0.1198" },
    versions_seen: { __input__: {}, __start__: { __start__: "00000000000000000000000000000001.0.5262" }, agent: { "branch:to:agent": "00000000000000000000000000000004.0.9911" } },
  }),
);
const payloads: Array<[string, Uint8Array]> = [
  ["checkpoint header", header],
  ["short message", message("HumanMessage", 12)],
  ["long message", message("AIMessage", 250)],
  ["tool result", message("ToolMessage", 600)],
];
const BATCH = 200;
const ROUNDS = 15;

function perCall(fn: () => unknown): number {
  const t = performance.now();
  for (let i = 0; i < BATCH; i++) fn();
  return ((performance.now() - t) / BATCH) * 1000;
}

it("deflates small payloads faster than fflate's deflateSync, to about the same size", () => {
  const rows = [];
  const results: Record<string, unknown> = {};
  for (const [name, bytes] of payloads) {
    const ours = deflateSmall(bytes);
    const theirs = deflateSync(bytes, { level: 6, dictionary: DEFLATE_DICTIONARY });
    expect(inflateSync(ours, { dictionary: DEFLATE_DICTIONARY })).toEqual(bytes);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2) {
        a.push(perCall(() => deflateSmall(bytes)));
        b.push(perCall(() => deflateSync(bytes, { level: 6, dictionary: DEFLATE_DICTIONARY })));
      } else {
        b.push(perCall(() => deflateSync(bytes, { level: 6, dictionary: DEFLATE_DICTIONARY })));
        a.push(perCall(() => deflateSmall(bytes)));
      }
    }
    const [ourTime, fflateTime] = [summarize(a.slice(2)).median, summarize(b.slice(2)).median];
    results[name] = { bytes: bytes.length, ourBytes: ours.length, fflateBytes: theirs.length, ourUs: ourTime, fflateUs: fflateTime };
    rows.push({ payload: name, bytes: bytes.length, "ours B": ours.length, "fflate B": theirs.length, "ours µs": round(ourTime, 1), "fflate µs": round(fflateTime, 1), "time ÷ fflate": ratio(ourTime, fflateTime) });
  }
  printTable("deflate of small payloads with the codec 2 dictionary: ours ÷ fflate deflateSync level 6", rows);
  return writeResults("deflate", results);
});
