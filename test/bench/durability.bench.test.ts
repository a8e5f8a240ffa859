import { afterAll, expect, it } from "vitest";
import { openStore, type Store } from "../../src/index";
import { RawIdb } from "./baselines";
import { makeText, printTable, ratio, round, samplePair, summarize, uniqueDb, writeResults } from "./stats";

/**
 * What a flush to disk costs: saves with durability "strict" against "relaxed", and a raw
 * IndexedDB put with each, alternating call by call. The bench project runs on a profile on disk
 * (an off-the-record context keeps IndexedDB in memory, where strict costs nothing).
 */
const sizes = [1024, 64 * 1024];
const RUNS = 30;
const stores: Store[] = [];

afterAll(async () => {
  for (const s of stores) await s.close();
});

it("measures strict against relaxed saves, and the same for raw IndexedDB puts", async () => {
  const strict = await openStore({ name: uniqueDb("strict"), durability: "strict" });
  const relaxed = await openStore({ name: uniqueDb("relaxed"), durability: "relaxed" });
  stores.push(strict, relaxed);
  const raw = await RawIdb.open(uniqueDb("durability-raw"));
  const text = makeText(3);
  const rows = [];
  const results: Record<string, unknown> = {};
  for (const size of sizes) {
    const states = Array.from({ length: RUNS + 3 }, () => text.bytes(size));
    const [s, r] = await samplePair(
      RUNS,
      (i) => strict.threads.save("t", {}, states[Math.abs(i)]),
      (i) => relaxed.threads.save("t", {}, states[Math.abs(i)]),
    );
    const [rs, rr] = await samplePair(
      RUNS,
      (i) => raw.put(`s${size}-${i}`, states[Math.abs(i)].slice(), "strict"),
      (i) => raw.put(`r${size}-${i}`, states[Math.abs(i)].slice(), "relaxed"),
    );
    const [save, relaxedSave, rawStrict, rawRelaxed] = [s, r, rs, rr].map(summarize);
    expect((await strict.threads.loadLatest("t")).state.length).toBe(size);
    results[size] = { save, relaxedSave, rawStrict, rawRelaxed };
    rows.push({
      size,
      strictSave: round(save.median),
      relaxedSave: round(relaxedSave.median),
      "strict/relaxed": ratio(save.median, relaxedSave.median),
      rawStrict: round(rawStrict.median),
      rawRelaxed: round(rawRelaxed.median),
      "raw strict/relaxed": ratio(rawStrict.median, rawRelaxed.median),
      "strict save/raw strict": ratio(save.median, rawStrict.median),
    });
  }
  printTable("durability: strict against relaxed, ms (median)", rows);
  raw.close();
  await writeResults("durability", results);
});
