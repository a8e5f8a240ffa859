import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright";
import { chromiumLaunchOptions } from "../chromium";
import { openHarness, startServer } from "../reliability/harness";
import { printFigures } from "../reliability/figures";

/**
 * What reaches the disk. Chromium runs under strace, which logs every fsync and fdatasync with
 * the path of the file flushed; a barrier that resolves without a flush of the profile's
 * IndexedDB files would survive a tab crash but not an OS crash or a power cut.
 */

const N = 20;
const hasStrace = (() => {
  try {
    execFileSync("strace", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
const chromiumPath = chromiumLaunchOptions().executablePath;
const runnable = hasStrace && !!chromiumPath && existsSync(chromiumPath);
if (!runnable) console.warn("durability: skipped, it needs strace and a system Chromium (apt-get install strace chromium)");

let dir: string;
let log: string;
let server: Awaited<ReturnType<typeof startServer>>;
let context: BrowserContext;
let page: Page;
/** Flushes of the first write of each of the two stores (their log rollovers). */
let firstWrites = 0;

/** Flushes of the profile's IndexedDB files so far. */
const flushes = () =>
  existsSync(log)
    ? readFileSync(log, "utf8")
        .split("\n")
        .filter((line) => /^\d+\s+f(data)?sync\(/.test(line) && /IndexedDB/i.test(line)).length
    : 0;

/** Runs `n` calls in the page one after another and returns how many flushes they caused. */
async function flushesDuring(script: (n: number) => Promise<void>): Promise<number> {
  // Let the browser's own background writes settle first.
  await page.waitForTimeout(300);
  const before = flushes();
  await page.evaluate(script, N);
  await page.waitForTimeout(300);
  return flushes() - before;
}

beforeAll(async () => {
  if (!runnable) return;
  dir = mkdtempSync(join(tmpdir(), "idb-durability-"));
  log = join(dir, "fsync.log");
  const wrapper = join(dir, "chromium-under-strace");
  writeFileSync(wrapper, `#!/bin/sh\nexec strace -f -qq -y -e trace=fsync,fdatasync -o '${log}' '${chromiumPath}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  server = await startServer();
  // A profile on disk: an off-the-record context keeps IndexedDB in memory and never flushes.
  context = await chromium.launchPersistentContext(join(dir, "profile"), chromiumLaunchOptions({ executablePath: wrapper }));
  page = await openHarness(await context.newPage(), server.url);
  await page.evaluate(async () => {
    await window.rel.open("relaxed", { durability: "relaxed" });
    await window.rel.open("strict", { durability: "strict" });
  });
  // A connection's first write waits for the log rollover (worker/log-rollover.ts), whose
  // flushes are its own, once per connection: they are counted here, not in the calls below.
  firstWrites = await flushesDuring(async () => {
    for (const name of ["relaxed", "strict"]) await window.rel.store(name).threads.save("first", {}, new Uint8Array([1]));
  });
}, 180_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(runnable)("durability on disk (Chromium under strace)", () => {
  it(`flushes the disk for each of ${N} finishTurn calls, each ${N} strict saves and flush(), and not for relaxed saves`, async () => {
    const relaxed = await flushesDuring(async (n) => {
      const s = window.rel.store("relaxed");
      for (let i = 0; i < n; i++) await s.threads.save("t", { i }, new Uint8Array([i]));
    });
    const finishes = await flushesDuring(async (n) => {
      const s = window.rel.store("relaxed");
      for (let i = 0; i < n; i++) {
        await s.events.append("t", i, { i });
        await s.events.finishTurn("t", i);
      }
    });
    const strict = await flushesDuring(async (n) => {
      const s = window.rel.store("strict");
      for (let i = 0; i < n; i++) await s.threads.save("t", { i }, new Uint8Array([i]));
    });
    const barriers = await flushesDuring(async (n) => {
      const s = window.rel.store("relaxed");
      for (let i = 0; i < n; i++) {
        await s.threads.save("u", { i }, new Uint8Array([i]));
        await s.flush();
      }
    });
    printFigures(`IndexedDB flushes to disk for ${N} calls each`, { relaxedSaves: relaxed, finishTurns: finishes, strictSaves: strict, relaxedSaveThenFlush: barriers, firstWriteOfTwoConnections: firstWrites });
    expect(finishes).toBeGreaterThanOrEqual(N);
    expect(strict).toBeGreaterThanOrEqual(N);
    expect(barriers).toBeGreaterThanOrEqual(N);
    expect(relaxed).toBeLessThan(N / 2);
  });

  it("flushes the disk when close() drains", async () => {
    const before = flushes();
    await page.evaluate(async () => {
      await window.rel.open("closing", { durability: "relaxed", eventFlushMs: 60_000 });
      const s = window.rel.store("closing");
      void s.events.append("t", 0, { last: true });
      await s.close();
    });
    expect(flushes() - before).toBeGreaterThanOrEqual(1);
  });
});
