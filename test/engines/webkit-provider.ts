import { defineBrowserProvider } from "@vitest/browser";
import { WebdriverBrowserProvider } from "@vitest/browser-webdriverio";
import type { BrowserProvider, TestProject } from "vitest/node";
import { startWebKitDriver, webkitCapabilities, type WebKitDriver } from "./webkit";

/**
 * Vitest's webdriverio provider pointed at WebKitGTK. It knows Safari's safaridriver only, so this
 * starts WebKitWebDriver (and a display) itself and opens the session with MiniBrowser's
 * capabilities; frames, commands, pages and teardown stay Vitest's own.
 */
class WebKitProvider extends WebdriverBrowserProvider {
  private driver: WebKitDriver | undefined;
  private opening: Promise<WebdriverIO.Browser> | undefined;

  override openBrowser(): Promise<WebdriverIO.Browser> {
    this.opening ??= (async () => {
      this.driver = await startWebKitDriver();
      const { remote } = await import("webdriverio");
      this.browser = await remote({ logLevel: "silent", hostname: this.driver.hostname, port: this.driver.port, capabilities: webkitCapabilities() });
      return this.browser;
    })();
    return this.opening;
  }

  override async close(): Promise<void> {
    await this.opening?.catch(() => {});
    await super.close();
    await this.driver?.stop();
    this.driver = undefined;
  }
}

export function webkit() {
  return defineBrowserProvider({
    name: "webdriverio",
    supportedBrowser: ["webkit"] as const,
    options: {},
    // The base class types its CDP session against another copy of Vitest's types.
    providerFactory: (project: TestProject) => new WebKitProvider(project, {}) as unknown as BrowserProvider,
  });
}
