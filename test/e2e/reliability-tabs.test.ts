import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright";
import { launch, openHarness, pageErrors, startServer } from "../reliability/harness";
import { printFigures } from "../reliability/figures";
import { openHarnessTab, skipWith, whyNot } from "../reliability/engine-support";
import { openDriver, type Driver } from "../engines/driver";
import type { Engine } from "../engines/instances";

/**
 * Two tabs, one run: two pages of one browser profile (one origin, one database, two workers and
 * two connections) write to the same run and the same thread at the same time. In Chromium two
 * pages of one Playwright context; in Firefox two pages of one puppeteer-core context; in WebKit
 * two windows of one WebDriver session. Each tab's work is started with a call that returns at
 * once and collected afterwards (test/reliability/tab-work.ts): WebDriver classic drives one
 * window at a time, so calls to the tabs are made one after the other in every engine.
 */

const PER_TAB = process.env.RELIABILITY_STRESS ? 5_000 : 2_000;
const CHECKPOINTS_PER_TAB = process.env.RELIABILITY_STRESS ? 1_000 : 300;
const LANES = 8;
const TIMEOUT = process.env.RELIABILITY_STRESS ? 600_000 : 180_000;

/** What the test needs of a tab, in any engine. */
interface Tab {
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<Awaited<R>>;
}

let server: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the same work in every tab (tab t gets `arg(t)`), then waits for each tab's result. */
async function inEveryTab<R>(tabs: Tab[], what: "append" | "save", arg: (t: number) => Record<string, number>, timeoutMs: number): Promise<R[]> {
  const key = `${what}-${Date.now()}`;
  for (const [t, tab] of tabs.entries()) {
    await tab.evaluate(([k, w, a]) => window.rel.tabs.start(k, w as "append", a as never), [key, what, arg(t)] as const);
  }
  const results: R[] = [];
  const deadline = Date.now() + timeoutMs;
  for (const tab of tabs) {
    for (;;) {
      const r = await tab.evaluate((k) => window.rel.tabs.result(k), key);
      if (r.done) {
        if (r.error) throw new Error(`a tab's ${what} failed: ${r.error}`);
        results.push(r.value as R);
        break;
      }
      if (Date.now() > deadline) throw new Error(`a tab's ${what} did not finish within ${timeoutMs} ms`);
      await sleep(100);
    }
  }
  return results;
}

/** Two tabs of one profile on the harness page, in `engine`; `close` ends the browser. */
async function openTabs(engine: Engine): Promise<{ tabs: Tab[]; errors(): Promise<string[]>; close(): Promise<void> }> {
  if (engine === "chromium") {
    const browser: Browser = await launch();
    const context = await browser.newContext();
    const pages = [await openHarness(await context.newPage(), server.url), await openHarness(await context.newPage(), server.url)];
    return {
      tabs: pages.map((page) => ({ evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never })),
      errors: async () => pages.flatMap((p) => pageErrors.get(p) ?? []),
      close: () => browser.close(),
    };
  }
  const driver: Driver = await openDriver(engine);
  try {
    const session = await driver.newSession();
    const tabs = [await openHarnessTab(session, server.url), await openHarnessTab(session, server.url)];
    return {
      tabs: tabs as Tab[],
      // The driver cannot watch the console: the page collects its own uncaught errors.
      errors: async () => {
        const all: string[] = [];
        for (const tab of tabs) all.push(...(await tab.evaluate(() => window.rel.errors)));
        return all;
      },
      close: () => driver.close(),
    };
  } catch (e) {
    await driver.close().catch(() => {});
    throw e;
  }
}

for (const engine of ["chromium", "firefox", "webkit"] as const) {
  describe(`two tabs in ${engine}`, () => {
    const why = whyNot(engine);
    let opened: Awaited<ReturnType<typeof openTabs>> | undefined;
    const tabs = () => opened!.tabs;

    beforeAll(async () => {
      if (why) return;
      opened = await openTabs(engine);
      for (const tab of tabs()) await tab.evaluate(() => window.rel.open("tabs"), undefined);
    });

    afterAll(async () => {
      await opened?.close();
    });

    it(`appends ${PER_TAB} events from each of two tabs to one run: ${2 * PER_TAB} events, seqs strictly increasing and dense, no error`, async (ctx) => {
      if (why) return skipWith(why, ctx);
      await tabs()[0].evaluate(() => window.rel.store("tabs").runs.createRun("shared", "two-tabs", {}), undefined);
      const started = Date.now();
      const results = await inEveryTab<{ seqs: number[]; errors: string[] }>(tabs(), "append", (t) => ({ t, perTab: PER_TAB, lanes: LANES }), TIMEOUT - 30_000);
      const ms = Date.now() - started;
      const stored = await tabs()[1].evaluate(() => window.rel.tabs.events(), undefined);
      const returned = [...results[0].seqs, ...results[1].seqs];
      const unique = new Set(returned);
      const dense = stored.every((e, i) => e.seq === i + 1);
      const errors = [...results[0].errors, ...results[1].errors];
      // Each seq a tab was given holds that tab's event.
      const bySeq = new Map(stored.map((e) => [e.seq, e.data as { t: number }]));
      const mismatched = results.reduce((n, r, t) => n + r.seqs.filter((q) => bySeq.get(q)?.t !== t).length, 0);
      // How often the writing tab changes along the run: 1 would mean one tab wrote after the
      // other, not at the same time.
      const switches = stored.filter((e, i) => i > 0 && (e.data as { t: number }).t !== (stored[i - 1].data as { t: number }).t).length;
      printFigures(`two tabs, one run (${engine})`, { appended: 2 * PER_TAB, acked: returned.length, stored: stored.length, duplicateSeqs: returned.length - unique.size, dense: String(dense), mismatched, tabSwitches: switches, errors: errors.length, ms });
      expect(errors).toEqual([]);
      expect(stored.length).toBe(2 * PER_TAB);
      expect(unique.size).toBe(2 * PER_TAB);
      expect(dense).toBe(true);
      expect(mismatched).toBe(0);
      expect(switches).toBeGreaterThan(1);
      expect(await opened!.errors()).toEqual([]);
    }, TIMEOUT);

    it(`saves ${CHECKPOINTS_PER_TAB} checkpoints of one thread from each of two tabs: none lost, and loadLatest agrees in both tabs`, async (ctx) => {
      if (why) return skipWith(why, ctx);
      const results = await inEveryTab<{ ids: string[]; errors: string[] }>(tabs(), "save", (t) => ({ t, n: CHECKPOINTS_PER_TAB, lanes: LANES }), TIMEOUT - 30_000);
      const views = [];
      for (const tab of tabs()) views.push(await tab.evaluate(() => window.rel.tabs.thread(), undefined));
      const acked = [...results[0].ids, ...results[1].ids];
      const listed = new Set(views[0].list);
      const lost = acked.filter((id) => !listed.has(id)).length;
      const newest = [...views[0].list].sort().at(-1);
      printFigures(`two tabs, one thread (${engine})`, { saved: acked.length, listed: listed.size, lost, errors: results[0].errors.length + results[1].errors.length, latestAgrees: String(views[0].latest === views[1].latest && views[0].latest === newest) });
      expect([...results[0].errors, ...results[1].errors]).toEqual([]);
      expect(new Set(acked).size).toBe(2 * CHECKPOINTS_PER_TAB);
      expect(lost).toBe(0);
      expect(views[0].count).toBe(2 * CHECKPOINTS_PER_TAB);
      expect(views[1].list).toEqual(views[0].list);
      expect(views[0].latest).toBe(views[1].latest);
      expect(views[0].latest).toBe(newest);
      expect(await opened!.errors()).toEqual([]);
    }, TIMEOUT);
  });
}
