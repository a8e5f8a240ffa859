import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { build, preview, type PreviewServer } from "vite";
import { openDriver, type Driver, type DriverEngine, type Session, type Tab } from "../engines/driver";
import { freePort } from "../engines/webkit";
import { selectedEngines } from "../engines/instances";
import { describeTabs, type WatchedTab } from "./demo-tab-report";

/**
 * The demo's flows in Firefox and WebKit (test/e2e/demo.test.ts runs them in Chromium through
 * Playwright). The built demo, served by Vite's preview server, driven through test/engines/driver.ts:
 * each test a fresh profile; clicks, typing and reads are DOM calls made in the page. A test
 * fails when the demo's error banner shows (the demo puts every unhandled rejection there).
 */
const repo = resolve(import.meta.dirname, "../..");
const demoRoot = join(repo, "demo");
const engines = selectedEngines().filter((e): e is DriverEngine => e !== "chromium");

let outDir: string;
let server: PreviewServer;
let baseUrl: string;

beforeAll(async () => {
  if (engines.length === 0) return;
  outDir = mkdtempSync(join(tmpdir(), "idb-checkpoint-demo-engines-"));
  const configFile = join(demoRoot, "vite.config.ts");
  await build({ configFile, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  server = await preview({ configFile, logLevel: "warn", build: { outDir }, preview: { host: "127.0.0.1", port: await freePort(), strictPort: true } });
  baseUrl = server.resolvedUrls!.local[0];
});

afterAll(async () => {
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tid = (id: string) => `[data-testid="${id}"]`;

/** What a test does in a tab of the demo, as DOM calls in the page. */
function demo(tab: Tab) {
  const ui = {
    tab,
    /** What the test waits for in this tab right now and what it last saw: a failure's report says. */
    waiting: undefined as WatchedTab["waiting"],
    // Generous: the machine running these is shared, and WebKit's round trips are slow.
    async until<R>(read: () => Promise<R>, ok: (v: R) => boolean, what: string, timeoutMs = 30_000): Promise<R> {
      const deadline = Date.now() + timeoutMs;
      const waiting: NonNullable<WatchedTab["waiting"]> = (ui.waiting = { what, since: Date.now() });
      for (;;) {
        const v = await read();
        if (ok(v)) {
          ui.waiting = undefined;
          return v;
        }
        waiting.last = JSON.stringify(v);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${waiting.last}`);
        await sleep(50);
      }
    },
    count: (sel: string) => tab.evaluate((s) => document.querySelectorAll(s).length, sel),
    texts: (sel: string) => tab.evaluate((s) => Array.from(document.querySelectorAll(s), (e) => e.textContent ?? ""), sel),
    text: (sel: string) => tab.evaluate((s) => document.querySelector(s)?.textContent ?? null, sel),
    attr: (sel: string, name: string) => tab.evaluate(([s, n]) => document.querySelector(s)?.getAttribute(n) ?? null, [sel, name] as const),
    disabled: (sel: string) => tab.evaluate((s) => (document.querySelector(s) as HTMLButtonElement | null)?.disabled ?? null, sel),
    /** Clicks the element once it is there and enabled, as Playwright's click waits for it. */
    async click(sel: string): Promise<void> {
      await ui.until(
        () => tab.evaluate((s) => {
          const el = document.querySelector(s) as HTMLButtonElement | null;
          return el !== null && !el.disabled;
        }, sel),
        Boolean,
        `${sel} to be clickable`,
      );
      await tab.evaluate((s) => (document.querySelector(s) as HTMLElement).click(), sel);
    },
    /** Types `value` into the input and presses Enter, as the demo's keyboard handlers see it. */
    enter: (sel: string, value: string) =>
      tab.evaluate(([s, v]) => {
        const el = document.querySelector(s) as HTMLInputElement | null;
        if (!el) throw new Error(`no element ${s}`);
        el.focus();
        el.value = v;
        el.dispatchEvent(new Event("input", { bubbles: true }));
        el.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
      }, [sel, value] as const),
    async open(): Promise<void> {
      await tab.goto(baseUrl);
      await ui.ready();
    },
    async reload(): Promise<void> {
      await tab.reload();
      await ui.ready();
    },
    ready: () => ui.until(() => tab.evaluate(() => document.body.dataset.ready === "true"), Boolean, "the demo to be ready", 60_000),
    async noError(): Promise<void> {
      expect(await tab.evaluate(() => (document.querySelector("#banner") as HTMLElement).hidden ? "" : document.querySelector("#banner-text")?.textContent)).toBe("");
    },
    async newThread(): Promise<string> {
      const before = await ui.count(tid("thread"));
      await ui.click(tid("new-thread"));
      await ui.until(() => ui.count(tid("thread")), (n) => n === before + 1, "a new thread");
      return (await ui.until(() => ui.attr(".thread.active", "data-thread-id"), Boolean, "the new thread selected"))!;
    },
    async send(text: string): Promise<void> {
      await ui.until(() => ui.disabled(tid("composer")), (d) => d === false, "the composer");
      await ui.enter(tid("composer"), text);
      await ui.until(() => ui.count(tid("approval")), (n) => n === 1, "the approval");
    },
    async approve(): Promise<void> {
      const replies = await ui.count(tid("msg-agent"));
      await ui.click(tid("approve"));
      await ui.until(() => ui.count(tid("msg-agent")), (n) => n === replies + 1, "the agent's reply");
      await ui.until(() => ui.count(tid("approval")), (n) => n === 0, "the approval to go");
    },
    agentTexts: () => ui.texts(tid("agent-text")),
    xssRan: () => tab.evaluate(() => (window as unknown as { __xss?: number }).__xss !== undefined),
    userTexts: () => ui.texts(tid("msg-user")),
  };
  return ui;
}

if (engines.length === 0) {
  it("runs the demo's flows in Firefox and WebKit", (ctx) => {
    console.info("skipped: IDB_BROWSERS names neither firefox nor webkit");
    ctx.skip("IDB_BROWSERS names neither firefox nor webkit");
  });
}

for (const engine of engines) {
  describe(`the demo app in ${engine}`, () => {
    let driver: Driver;
    const sessions: Session[] = [];
    /** The tabs the running test opened, for its failure report. */
    const uis: Array<ReturnType<typeof demo>> = [];
    beforeAll(async () => {
      driver = await openDriver(engine);
    });
    // WebKitWebDriver runs one session at a time: each test's profile ends with the test.
    afterEach(async (ctx) => {
      // A test that failed or timed out says where each tab was, not only that time ran out.
      if (ctx.task.result?.state === "fail") console.error(`${engine}, "${ctx.task.name}" failed; each tab:\n${await describeTabs(uis)}`);
      uis.splice(0);
      for (const s of sessions.splice(0)) await s.close().catch(() => {});
    });
    afterAll(async () => {
      await driver?.close();
    });
    async function fresh(): Promise<Session> {
      const s = await driver.newSession();
      sessions.push(s);
      return s;
    }
    async function openDemo(session?: Session) {
      const ui = demo(await (session ?? (await fresh())).newTab());
      uis.push(ui);
      await ui.open();
      return ui;
    }

    it("creates a thread, chats through a tool approval and keeps each turn's events", async () => {
      const ui = await openDemo();
      await ui.newThread();
      await ui.send("What is 6 * 7?");
      expect(await ui.text(tid("approval"))).toContain("calculator");
      await ui.approve();
      expect(await ui.agentTexts()).toEqual(["I can work that out with the calculator: 6 * 7.", "The answer is 42."]);
      await ui.click(tid("tab-events"));
      await ui.until(() => ui.count(tid("turn")), (n) => n === 2, "two turns");
      expect(await ui.texts(".turn .pill")).toEqual(["finished", "finished"]);
      expect(await ui.text(tid("turns"))).toContain("tool_result");
      await ui.noError();
    });

    it("shows every thread and its exact state after a reload, and approves the pending step there", async () => {
      const ui = await openDemo();
      const first = await ui.newThread();
      await ui.send("What is 2 + 3?");
      await ui.approve();
      const second = await ui.newThread();
      await ui.send("Remember that the cat is called Tom");
      const before = await ui.text(tid("messages"));
      await ui.reload();
      expect(await ui.count(tid("thread"))).toBe(2);
      expect(await ui.count(`[data-thread-id="${first}"]`)).toBe(1);
      await ui.click(`[data-thread-id="${second}"] ${tid("thread-title")}`);
      await ui.until(() => ui.count(tid("approval")), (n) => n === 1, "the pending approval after the reload");
      expect(await ui.text(tid("messages"))).toBe(before);
      expect(await ui.disabled(tid("composer"))).toBe(true);
      await ui.approve();
      expect((await ui.agentTexts()).at(-1)).toBe("Saved. You have 1 note now, kept for every conversation.");
      await ui.noError();
    });

    it("forks from an earlier checkpoint and continues from there", async () => {
      const ui = await openDemo();
      await ui.newThread();
      await ui.send("Remember that the launch is on Friday");
      await ui.approve();
      await ui.send("What is 10 / 4?");
      await ui.approve();
      await ui.click(tid("tab-history"));
      await ui.until(() => ui.count(tid("checkpoint")), (n) => n > 0, "the history");
      await ui.click(`${tid("checkpoint")}[data-messages="4"] ${tid("fork")}`);
      await ui.until(() => ui.userTexts(), (t) => t.length === 1, "the fork");
      expect(await ui.userTexts()).toEqual(["Remember that the launch is on Friday"]);
      await ui.send("What do my notes say about the launch?");
      await ui.approve();
      expect((await ui.agentTexts()).at(-1)).toBe('From your notes: "the launch is on Friday".');
      await ui.noError();
    });

    it("deletes a thread and leaves no row of it in IndexedDB", async () => {
      const ui = await openDemo();
      const id = await ui.newThread();
      await ui.send("Remember that deleting leaves nothing");
      await ui.approve();
      await ui.click(tid("delete-thread"));
      await ui.click(tid("delete-thread")); // the confirming second click
      await ui.until(() => ui.count(tid("thread")), (n) => n === 0, "the thread to go");
      await ui.reload();
      expect(await ui.count(tid("thread"))).toBe(0);
      expect(await ui.count(`[data-thread-id="${id}"]`)).toBe(0);
      await ui.noError();
    });

    it("keeps two tabs on the same thread in step", async () => {
      const session = await fresh();
      const a = await openDemo(session);
      const b = await openDemo(session);
      const id = await a.newThread();
      await b.until(() => b.count(`[data-thread-id="${id}"]`), (n) => n === 1, "the thread in the other tab", 5_000);
      await b.click(`[data-thread-id="${id}"] ${tid("thread-title")}`);
      await a.send("What is 9 * 9?");
      await b.until(() => b.count(tid("approval")), (n) => n === 1, "the approval in the other tab", 5_000);
      await b.click(tid("approve"));
      await b.until(async () => (await b.agentTexts()).at(-1), (t) => t === "The answer is 81.", "the answer");
      await a.until(async () => (await a.agentTexts()).at(-1), (t) => t === "The answer is 81.", "the answer in the first tab", 5_000);
      expect(await a.count(tid("approval"))).toBe(0);
      await a.noError();
      await b.noError();
    });

    it("shows an HTML-injection message as text and runs no script", async () => {
      const ui = await openDemo();
      await ui.newThread();
      const attack = `<img src=x onerror="window.__xss=1">`;
      await ui.send(`Remember ${attack}`);
      await ui.approve();
      expect(await ui.userTexts()).toEqual([`Remember ${attack}`]);
      expect(await ui.count("img")).toBe(0);
      expect(await ui.xssRan()).toBe(false);
      await ui.noError();
    });

    it("shows whether the browser will keep the data, and asks when clicked", async () => {
      const ui = await openDemo();
      const state = await ui.until(() => ui.attr(tid("persistence"), "data-state"), Boolean, "the persistence badge");
      if (engine === "webkit") {
        // WebKitGTK has no navigator.storage: nothing to ask, and the badge says so.
        expect(state).toBe("unsupported");
        expect(await ui.disabled(tid("persistence"))).toBe(true);
      } else {
        expect(state).toBe("best-effort");
        await ui.click(tid("persistence"));
        // The test profile answers Firefox's permission prompt with "allow".
        expect(await ui.until(() => ui.attr(tid("persistence"), "data-state"), (s) => s === "persisted", "the grant")).toBe("persisted");
      }
      await ui.noError();
    });

    it("loads with the network off after one visit", (ctx) => {
      const reason = `not run in ${engine}: ${engine === "webkit" ? "WebDriver classic has no network emulation" : "the driver here has no offline mode for Firefox"}; Chromium runs it (test/e2e/demo.test.ts)`;
      console.info(`skipped: ${reason}`);
      ctx.skip(reason);
    });
  });
}
