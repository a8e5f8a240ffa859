import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright";
import { openHarness, pageErrors, startServer } from "../reliability/harness";
import { startBrowser, type BrowserProcess } from "../reliability/browser-process";
import { printFigures } from "../reliability/figures";
import { crashLedger } from "../reliability/crash-ledger";
import { crashInbox } from "../reliability/crash-endpoints";
import { startEngine } from "../reliability/engine-process";
import { skipWith, whyNot } from "../reliability/engine-support";
import { startDisplay } from "../engines/webkit";

/**
 * Crash sweep: the page writes checkpoints, run events, multi-row saver checkpoints and finished
 * agent turns as fast as it can and reports every acknowledgement to Node; at a random moment the
 * tab's process is crashed (Chromium: chrome://crash; Firefox, WebKit: SIGKILL to the content
 * processes) and the browser's process group is killed with SIGKILL, or the process group is
 * killed outright. The browser then starts again on the same profile and the test checks:
 * the database opens, every acknowledged write is there, run event seqs are dense 1..N, and every
 * saver checkpoint present is whole (header and all its channel blobs), and every finished turn
 * holds exactly its events.
 * Chromium is driven over CDP; Firefox and WebKitGTK run a page that drives itself
 * (test/reliability/crash-page.ts) and post to the harness server, since no driver of theirs
 * here can relaunch on the same profile.
 * `npm test` runs 3 kills per engine; `npm run test:stress` (RELIABILITY_STRESS=1) runs 24.
 */

const KILLS = Number(process.env.RELIABILITY_KILLS ?? (process.env.RELIABILITY_STRESS ? 24 : 3));

const inbox = crashInbox();
let server: Awaited<ReturnType<typeof startServer>>;
const profiles: string[] = [];

beforeAll(async () => {
  server = await startServer([inbox.plugin]);
});

afterAll(async () => {
  await server?.close();
  for (const p of profiles) rmSync(p, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const freshProfile = (engine: string) => {
  const dir = mkdtempSync(join(tmpdir(), `idb-crash-sweep-${engine}-`));
  profiles.push(dir);
  return dir;
};
const title = `loses no acknowledged write over ${KILLS} kills at random moments, keeps run seqs dense and saver checkpoints whole`;

async function harnessPage(proc: BrowserProcess): Promise<Page> {
  return openHarness(await proc.context.newPage(), server.url);
}

function expectSweepHeld(ledger: ReturnType<typeof crashLedger>): void {
  expect(ledger.problems).toEqual([]);
  expect(ledger.totals.opens).toBe(KILLS + 1);
  expect(ledger.acked.cp.size).toBeGreaterThan(0);
  expect(ledger.acked.ev.size).toBeGreaterThan(0);
  expect(ledger.acked.sv.size).toBeGreaterThan(0);
  expect(ledger.acked.turn.size).toBeGreaterThan(0);
}

describe("crash sweep in chromium", () => {
  it(title, async (ctx) => {
    const why = whyNot("chromium");
    if (why) return skipWith(why, ctx);
    const profile = freshProfile("chromium");
    const ledger = crashLedger();

    for (let launch = 0; launch <= KILLS; launch++) {
      const proc = await startBrowser(profile);
      try {
        await proc.context.exposeFunction("ack", (kind: "cp" | "ev" | "sv" | "turn", id: string | number) => ledger.ack(kind, id));
        const page = await harnessPage(proc);
        ledger.check(await page.evaluate(() => window.rel.crash.verify()), launch);
        expect(pageErrors.get(page)).toEqual([]);
        if (launch === KILLS) break;

        const before = ledger.ackedCount();
        await page.evaluate((n) => window.rel.crash.write(n), launch);
        // Kill at a uniformly random moment of the burst, once writing has visibly started.
        for (let i = 0; i < 200 && ledger.ackedCount() === before; i++) await sleep(25);
        await sleep(Math.random() * 2_500);
        if (launch % 2 === 1) {
          ledger.totals.renderCrashes++;
          await page.goto("chrome://crash", { timeout: 5_000 }).catch(() => {});
          await sleep(200);
        }
        ledger.totals.kills++;
      } finally {
        await proc.kill();
      }
    }

    printFigures("crash sweep", ledger.figures(KILLS + 1));
    expectSweepHeld(ledger);
  }, (KILLS + 1) * 20_000);
});

for (const engine of ["firefox", "webkit"] as const) {
  describe(`crash sweep in ${engine}`, () => {
    it(title, async (ctx) => {
      const why = whyNot(engine, { driver: false });
      if (why) return skipWith(why, ctx);
      const display = engine === "webkit" ? await startDisplay() : undefined;
      const profile = freshProfile(engine);
      const ledger = crashLedger();
      const off = inbox.onAck((kind, id) => ledger.ack(kind, id));
      // Launch numbers are unique per server: the inbox keys what arrives by them.
      const base = engine === "firefox" ? 1_000 : 2_000;
      try {
        for (let launch = 0; launch <= KILLS; launch++) {
          const last = launch === KILLS;
          const n = base + launch;
          const proc = startEngine(engine, profile, `${server.origin}/test/reliability/crash-page.html?launch=${n}&last=${last ? 1 : 0}`, display?.display);
          try {
            // Generous: the dev server compiles the page on its first load, on a shared machine.
            const found = await inbox.found(n, 120_000).catch((e: Error) => {
              throw new Error(`${e.message}; ${engine} said:\n${proc.log()}`);
            });
            ledger.check(found, launch);
            if (last) break;
            // Kill at a uniformly random moment of the burst, once writing has visibly started.
            for (let i = 0; i < 400 && inbox.acks(n) === 0; i++) await sleep(25);
            await sleep(Math.random() * 2_500);
            if (launch % 2 === 1 && (await proc.crashContent()) > 0) {
              ledger.totals.renderCrashes++;
              await sleep(200);
            }
            ledger.totals.kills++;
          } finally {
            await proc.kill();
          }
        }
      } finally {
        off();
        await display?.stop();
      }

      printFigures(`crash sweep (${engine})`, ledger.figures(KILLS + 1));
      expect(inbox.errors(base, base + KILLS)).toEqual([]);
      expectSweepHeld(ledger);
    }, (KILLS + 1) * 40_000 + 120_000);
  });
}
