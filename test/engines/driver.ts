import type { Browser as PuppeteerBrowser, BrowserContext as PuppeteerContext, Page as PuppeteerPage } from "puppeteer-core";
import { firefoxLaunchOptions } from "./firefox";
import { startWebKitDriver, webkitCapabilities, type WebKitDriver } from "./webkit";

/**
 * One small driver over the two engines Playwright cannot drive here, for the end-to-end suites:
 * Firefox ESR through puppeteer-core (WebDriver BiDi) and WebKitGTK's MiniBrowser through
 * webdriverio (WebDriver classic). A session is a fresh browser profile (its own storage); a tab
 * is a page of it. Everything a test does in a page goes through `evaluate`, so the same test
 * code runs in both.
 */
export type DriverEngine = "firefox" | "webkit";

export interface Tab {
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<Awaited<R>>;
  /** The driver call this tab waits on and for how long, if any: what a failed test reports. */
  inFlight(): string | undefined;
}

/** A WebDriver session normally starts in a few seconds; past this its browser did not start. */
const SESSION_START_MS = 60_000;

/** Records which call a tab waits on, so a test that hangs can say where. */
function tracked(tab: Omit<Tab, "inFlight">): Tab {
  let current: { what: string; since: number } | undefined;
  const track = <T>(what: string, call: () => Promise<T>): Promise<T> => {
    const me = { what, since: Date.now() };
    current = me;
    return call().finally(() => {
      if (current === me) current = undefined;
    });
  };
  return {
    goto: (url) => track(`goto ${url}`, () => tab.goto(url)),
    reload: () => track("reload", () => tab.reload()),
    evaluate: (fn, arg) => track(`evaluate ${String(fn).replace(/\s+/g, " ").slice(0, 100)} with ${JSON.stringify(arg)}`, () => tab.evaluate(fn, arg)),
    inFlight: () => current && `${current.what}: no answer for ${((Date.now() - current.since) / 1000).toFixed(1)} s`,
  };
}

export interface Session {
  readonly engine: DriverEngine;
  newTab(): Promise<Tab>;
  close(): Promise<void>;
}

export interface Driver {
  newSession(): Promise<Session>;
  close(): Promise<void>;
}

/** `firefoxPrefs`: preferences the Firefox profile starts with (the quota test's storage limit). */
export async function openDriver(engine: DriverEngine, options: { firefoxPrefs?: Record<string, unknown> } = {}): Promise<Driver> {
  return engine === "firefox" ? firefoxDriver(options.firefoxPrefs) : webkitDriver();
}

async function firefoxDriver(prefs: Record<string, unknown> = {}): Promise<Driver> {
  const { default: puppeteer } = await import("puppeteer-core");
  const browser: PuppeteerBrowser = await puppeteer.launch(firefoxLaunchOptions({ extraPrefsFirefox: prefs }));
  return {
    async newSession() {
      const context: PuppeteerContext = await browser.createBrowserContext();
      return {
        engine: "firefox",
        async newTab() {
          const page: PuppeteerPage = await context.newPage();
          return tracked({
            goto: async (url) => void (await page.goto(url, { timeout: 120_000 })),
            reload: async () => void (await page.reload({ timeout: 120_000 })),
            evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
          });
        },
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

async function webkitDriver(): Promise<Driver> {
  const driver: WebKitDriver = await startWebKitDriver();
  const { remote } = await import("webdriverio");
  const open = new Set<WebdriverIO.Browser>();
  return {
    // MiniBrowser's automation sessions keep their data in memory: a new session is a fresh profile.
    async newSession() {
      const browser = await startSession(driver, () => remote({ logLevel: "silent", hostname: driver.hostname, port: driver.port, capabilities: webkitCapabilities() }));
      open.add(browser);
      let current = await browser.getWindowHandle();
      let first = true;
      return {
        engine: "webkit",
        async newTab() {
          let handle = current;
          if (!first) handle = (await browser.createWindow("tab")).handle;
          first = false;
          // WebDriver classic drives one window at a time: each call switches to its tab first.
          const on = async () => {
            if (current !== handle) await browser.switchToWindow(handle);
            current = handle;
          };
          return tracked({
            goto: async (url) => (await on(), void (await browser.url(url))),
            reload: async () => (await on(), void (await browser.refresh())),
            evaluate: async (fn, arg) => (await on(), (await browser.execute(fn as never, arg as never)) as never),
          });
        },
        async close() {
          open.delete(browser);
          await browser.deleteSession().catch(() => {});
        },
      };
    },
    async close() {
      for (const b of open) await b.deleteSession().catch(() => {});
      await driver.stop();
    },
  };
}

/**
 * WebKitWebDriver waits without end for a browser that exited at start (MiniBrowser without a
 * display, say): this fails the session with what the driver and the browser printed instead.
 * A session that starts after all is ended at once.
 */
async function startSession(driver: WebKitDriver, open: () => Promise<WebdriverIO.Browser>): Promise<WebdriverIO.Browser> {
  const opening = open();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void opening.then((b) => b.deleteSession(), () => {});
      reject(new Error(`WebKit: WebKitWebDriver started no MiniBrowser session in ${SESSION_START_MS / 1000} s; its output: ${driver.output() || "(none)"}`));
    }, SESSION_START_MS);
  });
  try {
    return await Promise.race([opening, late]);
  } finally {
    clearTimeout(timer);
  }
}
