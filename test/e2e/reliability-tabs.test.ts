import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright";
import { launch, openHarness, pageErrors, startServer } from "../reliability/harness";
import { printFigures } from "../reliability/figures";

/**
 * Two tabs, one run: two pages of one browser context (one origin, one database, two workers and
 * two connections) write to the same run and the same thread at the same time.
 */

const PER_TAB = process.env.RELIABILITY_STRESS ? 5_000 : 2_000;
const CHECKPOINTS_PER_TAB = process.env.RELIABILITY_STRESS ? 1_000 : 300;
const LANES = 8;
const TIMEOUT = process.env.RELIABILITY_STRESS ? 600_000 : 120_000;

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let context: BrowserContext;
let tabs: Page[];

beforeAll(async () => {
  server = await startServer();
  browser = await launch();
  context = await browser.newContext();
  tabs = [await openHarness(await context.newPage(), server.url), await openHarness(await context.newPage(), server.url)];
  for (const tab of tabs) await tab.evaluate(() => window.rel.open("tabs"));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("two tabs", () => {
  it(`appends ${PER_TAB} events from each of two tabs to one run: ${2 * PER_TAB} events, seqs strictly increasing and dense, no error`, async () => {
    await tabs[0].evaluate(() => window.rel.store("tabs").runs.createRun("shared", "two-tabs", {}));
    const started = Date.now();
    const results = await Promise.all(
      tabs.map((tab, t) =>
        tab.evaluate(
          async ({ t, perTab, lanes }) => {
            const s = window.rel.store("tabs");
            const seqs: number[] = [];
            const errors: string[] = [];
            await Promise.all(
              Array.from({ length: lanes }, async (_, lane) => {
                for (let i = lane; i < perTab; i += lanes) {
                  const o = await window.rel.outcome(s.runs.appendEvent({ runId: "shared", kind: "tick", data: { t, i } }));
                  if (o.ok) seqs.push(o.value as number);
                  else errors.push(`${o.code}: ${o.message}`);
                }
              }),
            );
            return { seqs, errors };
          },
          { t, perTab: PER_TAB, lanes: LANES },
        ),
      ),
    );
    const ms = Date.now() - started;
    const stored = await tabs[1].evaluate(async () => {
      const s = window.rel.store("tabs");
      const all: Array<{ seq: number; data?: unknown }> = [];
      for (let since = 0; ; ) {
        const page = await s.runs.getEvents("shared", since, 1000);
        if (page.length === 0) break;
        all.push(...page.map((e) => ({ seq: e.seq, data: e.data })));
        since = page[page.length - 1].seq;
      }
      return all;
    });
    const returned = [...results[0].seqs, ...results[1].seqs];
    const unique = new Set(returned);
    const dense = stored.every((e, i) => e.seq === i + 1);
    const errors = [...results[0].errors, ...results[1].errors];
    // Each seq a tab was given holds that tab's event.
    const bySeq = new Map(stored.map((e) => [e.seq, e.data as { t: number }]));
    const mismatched = results.reduce((n, r, t) => n + r.seqs.filter((q) => bySeq.get(q)?.t !== t).length, 0);
    printFigures("two tabs, one run", { appended: 2 * PER_TAB, acked: returned.length, stored: stored.length, duplicateSeqs: returned.length - unique.size, dense: String(dense), mismatched, errors: errors.length, ms });
    expect(errors).toEqual([]);
    expect(stored.length).toBe(2 * PER_TAB);
    expect(unique.size).toBe(2 * PER_TAB);
    expect(dense).toBe(true);
    expect(mismatched).toBe(0);
    for (const tab of tabs) expect(pageErrors.get(tab)).toEqual([]);
  }, TIMEOUT);

  it(`saves ${CHECKPOINTS_PER_TAB} checkpoints of one thread from each of two tabs: none lost, and loadLatest agrees in both tabs`, async () => {
    const results = await Promise.all(
      tabs.map((tab, t) =>
        tab.evaluate(
          async ({ t, n, lanes }) => {
            const s = window.rel.store("tabs");
            const ids: string[] = [];
            const errors: string[] = [];
            await Promise.all(
              Array.from({ length: lanes }, async (_, lane) => {
                for (let i = lane; i < n; i += lanes) {
                  const o = await window.rel.outcome(s.threads.save("shared", { t, i }, window.rel.bytes(256, t * 100_000 + i)));
                  if (o.ok) ids.push(o.value as string);
                  else errors.push(`${o.code}: ${o.message}`);
                }
              }),
            );
            return { ids, errors };
          },
          { t, n: CHECKPOINTS_PER_TAB, lanes: LANES },
        ),
      ),
    );
    const views = await Promise.all(
      tabs.map((tab) =>
        tab.evaluate(async () => {
          const s = window.rel.store("tabs");
          const list = (await s.threads.list("shared")).map((m) => m.checkpointId);
          const latest = await s.threads.loadLatest("shared");
          return { list, latest: latest.meta.checkpointId, count: await s.threads.count("shared") };
        }),
      ),
    );
    const acked = [...results[0].ids, ...results[1].ids];
    const listed = new Set(views[0].list);
    const lost = acked.filter((id) => !listed.has(id)).length;
    const newest = [...views[0].list].sort().at(-1);
    printFigures("two tabs, one thread", { saved: acked.length, listed: listed.size, lost, errors: results[0].errors.length + results[1].errors.length, latestAgrees: String(views[0].latest === views[1].latest && views[0].latest === newest) });
    expect([...results[0].errors, ...results[1].errors]).toEqual([]);
    expect(new Set(acked).size).toBe(2 * CHECKPOINTS_PER_TAB);
    expect(lost).toBe(0);
    expect(views[0].count).toBe(2 * CHECKPOINTS_PER_TAB);
    expect(views[1].list).toEqual(views[0].list);
    expect(views[0].latest).toBe(views[1].latest);
    expect(views[0].latest).toBe(newest);
  }, TIMEOUT);
});
