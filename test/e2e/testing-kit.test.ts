import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright";
import { exportStore, flushEvents, importStore, listStored } from "./kit-imports";
import { launch, openHarness, startServer } from "../reliability/harness";
import { buildOnce } from "./demo-harness";

/**
 * idb-checkpoint/testing against the library's own test page (test/reliability/page.ts, which
 * exposes openStore as window.rel), where a test controls every option: buffered events, all
 * five contracts, values JSON has no type for.
 */
let server: { url: string; close(): Promise<void> };
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function harnessPage(): Promise<Page> {
  const context = await browser.newContext();
  return openHarness(await context.newPage(), server.url);
}

describe("idb-checkpoint/testing", () => {
  it("flushEvents resolves once buffered events are written, which listStored then counts", async () => {
    const page = await harnessPage();
    await page.evaluate(async () => {
      await window.rel.open("kit-flush", { eventFlushMs: 60_000 });
      const s = window.rel.store("kit-flush");
      for (let i = 0; i < 3; i++) await s.events.append("thread-1", 0, { i });
    });
    // Appends resolved, but with a minute's buffer nothing is written yet.
    expect((await listStored(page, { name: "kit-flush" })).threads).toEqual([]);
    expect(await flushEvents(page, { name: "kit-flush" })).toEqual({ stores: 1 });
    expect((await listStored(page, { name: "kit-flush" })).threads).toEqual([
      { threadId: "thread-1", checkpoints: 0, saverCheckpoints: 0, turns: 1, finishedTurns: 0, events: 3 },
    ]);
    await page.context().close();
  });

  it("flushEvents answers at once with no store open", async () => {
    const page = await harnessPage();
    expect(await flushEvents(page, { name: "kit-none" })).toEqual({ stores: 0 });
    await page.context().close();
  });

  it("round-trips all five contracts through an export, byte for byte, under another name", async () => {
    const page = await harnessPage();
    await page.evaluate(async () => {
      await window.rel.open("kit-src");
      const s = window.rel.store("kit-src");
      await s.threads.save("t", { title: "$pecial", when: new Date(5), tags: new Set(["a"]), n: -0 }, window.rel.bytes(100_000, 1));
      await s.threads.save("t", {}, window.rel.bytes(10, 2));
      await s.runs.createRun("run", "wf", { big: 2 });
      await s.runs.saveCheckpoint("run", "node", window.rel.bytes(5000, 3));
      await s.runs.appendEvent({ runId: "run", kind: "started" });
      await s.blobs.save("cp-1", "trace", 0xffff_ffff_ffff_fffen, window.rel.bytes(3000, 4));
      await s.events.append("t", 0, { hello: "world" });
      await s.events.finishTurn("t", 0);
      await s.close();
    });
    const doc = await exportStore(page, { name: "kit-src" });
    await importStore(page, doc, { name: "kit-copy" });
    const same = await page.evaluate(async () => {
      await window.rel.open("kit-copy");
      const s = window.rel.store("kit-copy");
      const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
      const [first, second] = await s.threads.list("t");
      const loaded = await s.threads.load("t", first.checkpointId);
      const blob = await s.blobs.load("cp-1");
      return {
        thread: eq(loaded.state, window.rel.bytes(100_000, 1)) && eq((await s.threads.loadLatest("t")).state, window.rel.bytes(10, 2)),
        metadata: [first.metadata.title, (first.metadata.when as Date).getTime(), [...(first.metadata.tags as Set<string>)], Object.is(first.metadata.n, -0), second !== undefined],
        run: eq((await s.runs.loadCheckpoint("run", "node"))!.state, window.rel.bytes(5000, 3)) && (await s.runs.getEvents("run", undefined, 10)).length === 1,
        blob: blob?.record.graphHash === 0xffff_ffff_ffff_fffen && eq(blob.bytes, window.rel.bytes(3000, 4)),
        events: (await s.events.getTurn("t", 0))?.events,
      };
    });
    expect(same).toEqual({ thread: true, metadata: ["$pecial", 5, ["a"], true, true], run: true, blob: true, events: [{ hello: "world" }] });
    await page.context().close();
  });

  it("round-trips packed long-term memory through an export: vectors kept as a Blob, norms as a Float64Array", async () => {
    const page = await harnessPage();
    const ask = async () =>
      page.evaluate(async () => {
        const s = window.rel.store(window.rel.stores.has("kit-mem-copy") ? "kit-mem-copy" : "kit-mem");
        const ranked = await s.memory.search(["u"], { query: [1, 0.5, 0.25, 0], limit: 3 });
        return { ranked: ranked.map((i) => [i.key, i.score]), got: (await s.memory.get(["u"], "k7"))?.value };
      });
    const packed = await page.evaluate(async () => {
      await window.rel.open("kit-mem");
      const s = window.rel.store("kit-mem");
      await s.memory.batch(Array.from({ length: 300 }, (_, i) => ({ op: "put" as const, namespace: ["u"], key: `k${i}`, value: { i }, vectors: [{ field: "text", vector: [Math.sin(i), Math.cos(i), i % 7, 1] }] })));
      // Packing starts once writes stop: wait for the item rows ("m", "i", …) to move into blocks.
      const itemRows = () =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open("kit-mem");
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const req = open.result.transaction("meta").objectStore("meta").count(IDBKeyRange.bound(["m", "i"], ["m", "i", [[]]]));
            req.onsuccess = () => (open.result.close(), resolve(req.result));
            req.onerror = () => reject(req.error);
          };
        });
      for (let i = 0; i < 200 && (await itemRows()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
      return itemRows();
    });
    expect(packed).toBe(0);
    const before = await ask();
    const doc = await exportStore(page, { name: "kit-mem" });
    const vectors = doc.objectStores.find((s) => s.name === "meta")!.records.filter(([k]) => Array.isArray(k) && k[0] === "m" && k[1] === "v");
    expect(vectors.length).toBeGreaterThan(0);
    expect(Object.keys(vectors[0][1] as object)).toEqual(["$blob"]);
    await importStore(page, doc, { name: "kit-mem-copy" });
    await page.evaluate(() => window.rel.open("kit-mem-copy"));
    expect(await ask()).toEqual(before);
    await page.context().close();
  });

  it("is not part of an app's page bundle: the built demo holds none of the kit", async () => {
    const dir = join(await buildOnce(), "assets");
    const files = readdirSync(dir).filter((f) => f.endsWith(".js"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(join(dir, f), "utf8")).not.toContain("idb-checkpoint-export");
  });
});
