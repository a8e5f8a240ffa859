import { defineBrowserProvider } from "@vitest/browser";
import type { BrowserProvider, TestProject } from "vitest/node";
import type { Browser, BrowserContext, Page } from "puppeteer-core";
import { firefoxLaunchOptions } from "./firefox";

/**
 * A Vitest browser provider for Firefox over WebDriver BiDi, driven by puppeteer-core. Vitest's
 * own providers cannot reach a stock Firefox here: Playwright's Firefox needs its patched build
 * (it sends BiDi commands Firefox ESR does not know), and webdriverio needs geckodriver, which
 * no reachable registry ships. The suites only need a page opened at Vitest's URL: they use no
 * locator, no userEvent and no command, so none is registered.
 */
class FirefoxProvider implements BrowserProvider {
  readonly name = "puppeteer-firefox";
  readonly supportsParallelism = true;
  private browser: Promise<Browser> | undefined;
  private readonly sessions = new Map<string, { context: BrowserContext; page: Page }>();
  private closing = false;

  constructor(private readonly project: TestProject) {}

  private open(): Promise<Browser> {
    this.browser ??= import("puppeteer-core").then(({ default: puppeteer }) =>
      puppeteer.launch(firefoxLaunchOptions({ headless: this.project.config.browser.headless })),
    );
    return this.browser;
  }

  getCommandsContext(sessionId: string): Record<string, unknown> {
    return { page: this.sessions.get(sessionId)?.page };
  }

  async openPage(sessionId: string, url: string): Promise<void> {
    if (this.closing) throw new Error("[vitest] The provider was closed.");
    const browser = await this.open();
    const old = this.sessions.get(sessionId);
    if (old) await old.context.close().catch(() => {});
    // A context per session, as Vitest's Playwright provider gives each one: its own storage.
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    this.sessions.set(sessionId, { context, page });
    await page.goto(url, { timeout: 0 });
  }

  async close(): Promise<void> {
    this.closing = true;
    const browser = this.browser;
    this.browser = undefined;
    this.sessions.clear();
    await (await browser)?.close();
  }
}

export function firefox() {
  return defineBrowserProvider({
    name: "puppeteer-firefox",
    supportedBrowser: ["firefox"] as const,
    options: {},
    providerFactory: (project: TestProject) => new FirefoxProvider(project),
  });
}
