import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright";
import { launchProfile, openHarness, pageErrors, startServer } from "../reliability/harness";

/**
 * Two tabs on one turn: tab A appends (its events wait in A's buffer), tab B finishes the turn.
 * Every append that resolved in A must be in the finished turn, as B reads it, and after both tabs
 * reload. And one thread run at a time across tabs, through withThreadLock.
 */

let server: Awaited<ReturnType<typeof startServer>>;
let profile: Awaited<ReturnType<typeof launchProfile>>;
let tabs: Page[];

beforeAll(async () => {
  server = await startServer();
  profile = await launchProfile();
  tabs = [await openHarness(await profile.context.newPage(), server.url), await openHarness(await profile.context.newPage(), server.url)];
}, 240_000);

afterAll(async () => {
  await profile?.close();
  await server?.close();
});

describe("two tabs on one turn", () => {
  it("keeps every append that resolved in tab A when tab B finishes the turn, also after both tabs reload", async () => {
    const [a, b] = tabs;
    // A long flush interval: A's events stay in A's buffer until someone asks for them.
    await a.evaluate(() => window.rel.open("turns", { eventFlushMs: 600_000 }));
    await b.evaluate(() => window.rel.open("turns", { eventFlushMs: 600_000 }));
    const acked = await a.evaluate(async () => {
      const s = window.rel.store("turns");
      const ok: number[] = [];
      for (let i = 0; i < 50; i++) if ((await window.rel.outcome(s.events.append("chat", 3, { tab: "a", i }))).ok) ok.push(i);
      return ok;
    });
    expect(acked).toHaveLength(50);
    const finished = await b.evaluate(async () => {
      const s = window.rel.store("turns");
      await s.events.append("chat", 3, { tab: "b" });
      const done = await window.rel.outcome(s.events.finishTurn("chat", 3));
      return { done, turn: await s.events.getTurn("chat", 3) };
    });
    expect(finished.done.ok).toBe(true);
    const fromA = (finished.turn?.events ?? []).filter((e) => e.tab === "a").map((e) => e.i);
    expect(fromA).toEqual(acked);
    expect(finished.turn?.events).toHaveLength(51);
    // A later append in A is refused, not dropped.
    const late = await a.evaluate(() => window.rel.outcome(window.rel.store("turns").events.append("chat", 3, { tab: "a", late: true })));
    expect(late.code).toBe("TURN_FINISHED");

    for (const tab of tabs) {
      await tab.reload();
      await tab.waitForFunction(() => document.title === "ready");
    }
    const after = await a.evaluate(async () => {
      await window.rel.open("turns");
      return window.rel.store("turns").events.getTurn("chat", 3);
    });
    expect(after).toEqual(finished.turn);
    for (const tab of tabs) expect(pageErrors.get(tab)).toEqual([]);
  });

  it("runs a thread in one tab at a time: the second tab's run starts after the first ends, or is refused with THREAD_BUSY", async () => {
    const [a, b] = tabs;
    const hold = a.evaluate(async () => {
      return window.rel.withThreadLock("turns", "chat", async () => {
        const started = Date.now();
        await new Promise((r) => setTimeout(r, 1_000));
        return { started, ended: Date.now() };
      });
    });
    await a.waitForTimeout(200);
    const refused = await b.evaluate(async () => {
      return window.rel.outcome(window.rel.withThreadLock("turns", "chat", () => "ran", { ifBusy: "reject" }));
    });
    expect(refused.code).toBe("THREAD_BUSY");
    const waited = await b.evaluate(async () => {
      let told = false;
      const started = await window.rel.withThreadLock("turns", "chat", () => Date.now(), { onWait: () => (told = true) });
      return { started, told };
    });
    const first = await hold;
    expect(waited.told).toBe(true);
    expect(waited.started).toBeGreaterThanOrEqual(first.ended);
  });
});
