import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright";
import { openHarness, pageErrors, startServer } from "../reliability/harness";
import { startBrowser, type BrowserProcess } from "../reliability/browser-process";
import { printFigures } from "../reliability/figures";
import type { Found } from "../reliability/crash-writer";

/**
 * Crash sweep: the page writes checkpoints, run events, multi-row saver checkpoints and finished
 * agent turns as fast as it can and reports every acknowledgement to Node; at a random moment the renderer is crashed
 * (chrome://crash) and the browser's process group is killed with SIGKILL, or the process group
 * is killed outright. Chromium then starts again on the same profile and the test checks:
 * the database opens, every acknowledged write is there, run event seqs are dense 1..N, and every
 * saver checkpoint present is whole (header and all its channel blobs), and every finished turn
 * holds exactly its events.
 * `npm test` runs 3 kills; `npm run test:stress` (RELIABILITY_STRESS=1) runs 24.
 */

const KILLS = Number(process.env.RELIABILITY_KILLS ?? (process.env.RELIABILITY_STRESS ? 24 : 3));

let server: Awaited<ReturnType<typeof startServer>>;
let profile: string;

beforeAll(async () => {
  server = await startServer();
  profile = mkdtempSync(join(tmpdir(), "idb-crash-sweep-"));
});

afterAll(async () => {
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function harnessPage(proc: BrowserProcess): Promise<Page> {
  return openHarness(await proc.context.newPage(), server.url);
}

describe("crash sweep", () => {
  it(`loses no acknowledged write over ${KILLS} kills at random moments, keeps run seqs dense and saver checkpoints whole`, async () => {
    const acked = { cp: new Set<string>(), ev: new Set<number>(), sv: new Set<string>(), turn: new Set<number>() };
    const ackedCount = () => acked.cp.size + acked.ev.size + acked.sv.size + acked.turn.size;
    const totals = { kills: 0, renderCrashes: 0, opens: 0, openFailures: 0, lost: 0, gaps: 0, partial: 0, damaged: 0, unackedPresent: 0 };
    const problems: string[] = [];

    const check = (found: Found, launch: number) => {
      if (!found.opened || found.openError) {
        totals.openFailures++;
        problems.push(`launch ${launch}: ${found.openError}`);
        return;
      }
      totals.opens++;
      const cps = new Set(found.checkpoints);
      const svs = new Set(found.saverComplete);
      const seqs = new Set(found.eventSeqs);
      const turns = new Set(found.turnsComplete);
      const lostBy = {
        checkpoints: [...acked.cp].filter((id) => !cps.has(id)).length,
        events: [...acked.ev].filter((q) => !seqs.has(q)).length,
        saver: [...acked.sv].filter((id) => !svs.has(id)).length,
        turns: [...acked.turn].filter((t) => !turns.has(t)).length,
      };
      const lost = lostBy.checkpoints + lostBy.events + lostBy.saver + lostBy.turns;
      const gaps = found.eventSeqs.filter((q, i) => q !== i + 1).length;
      totals.lost = lost;
      totals.gaps = gaps;
      totals.partial = found.saverPartial + found.turnsBroken;
      totals.damaged = found.checkpointsDamaged;
      totals.unackedPresent = found.checkpoints.length + found.eventSeqs.length + found.saverComplete.length + found.turnsComplete.length - ackedCount();
      if (lost || gaps || found.saverPartial || found.turnsBroken || found.checkpointsDamaged) {
        problems.push(
          `launch ${launch}: lost ${lost} ${JSON.stringify(lostBy)} (found ${cps.size} checkpoints, ${seqs.size} events, ${svs.size} saver, ${turns.size} turns), gaps ${gaps}, partial saver checkpoints ${found.saverPartial}, broken turns ${found.turnsBroken}, damaged checkpoints ${found.checkpointsDamaged}`,
        );
      }
    };

    for (let launch = 0; launch <= KILLS; launch++) {
      const proc = await startBrowser(profile);
      try {
        await proc.context.exposeFunction("ack", (kind: "cp" | "ev" | "sv" | "turn", id: string | number) => {
          if (kind === "ev" || kind === "turn") acked[kind].add(id as number);
          else acked[kind].add(id as string);
        });
        const page = await harnessPage(proc);
        check(await page.evaluate(() => window.rel.crash.verify()), launch);
        expect(pageErrors.get(page)).toEqual([]);
        if (launch === KILLS) break;

        const before = ackedCount();
        await page.evaluate((n) => window.rel.crash.write(n), launch);
        // Kill at a uniformly random moment of the burst, once writing has visibly started.
        for (let i = 0; i < 200 && ackedCount() === before; i++) await sleep(25);
        await sleep(Math.random() * 2_500);
        if (launch % 2 === 1) {
          totals.renderCrashes++;
          await page.goto("chrome://crash", { timeout: 5_000 }).catch(() => {});
          await sleep(200);
        }
        totals.kills++;
      } finally {
        await proc.kill();
      }
    }

    printFigures("crash sweep", {
      kills: totals.kills,
      rendererCrashesFirst: totals.renderCrashes,
      ackedCheckpoints: acked.cp.size,
      ackedEvents: acked.ev.size,
      ackedSaverCheckpoints: acked.sv.size,
      ackedFinishedTurns: acked.turn.size,
      lost: totals.lost,
      seqGaps: totals.gaps,
      partialCheckpointsOrTurns: totals.partial,
      damagedCheckpoints: totals.damaged,
      committedButUnacked: totals.unackedPresent,
      databaseOpened: `${totals.opens}/${KILLS + 1}`,
    });
    expect(problems).toEqual([]);
    expect(totals.opens).toBe(KILLS + 1);
    expect(acked.cp.size).toBeGreaterThan(0);
    expect(acked.ev.size).toBeGreaterThan(0);
    expect(acked.sv.size).toBeGreaterThan(0);
    expect(acked.turn.size).toBeGreaterThan(0);
  }, (KILLS + 1) * 20_000);
});
