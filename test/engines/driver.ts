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
          return {
            goto: async (url) => void (await page.goto(url, { timeout: 120_000 })),
            reload: async () => void (await page.reload({ timeout: 120_000 })),
            evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
          };
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
      const browser = await remote({ logLevel: "silent", hostname: driver.hostname, port: driver.port, capabilities: webkitCapabilities() });
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
          return {
            goto: async (url) => (await on(), void (await browser.url(url))),
            reload: async () => (await on(), void (await browser.refresh())),
            evaluate: async (fn, arg) => (await on(), (await browser.execute(fn as never, arg as never)) as never),
          };
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
