import { existsSync } from "node:fs";
import type { LaunchOptions } from "playwright";

/**
 * How every suite launches Chromium: CHROMIUM_PATH when set, else the system Chromium where it is
 * installed (Debian's /usr/bin/chromium), else Playwright's own downloaded browser.
 */
export function chromiumLaunchOptions(extra: LaunchOptions = {}): LaunchOptions {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  const executablePath = candidates.find((p): p is string => !!p && existsSync(p));
  return {
    ...(executablePath ? { executablePath } : {}),
    headless: true,
    ...extra,
    args: [
      // Root in a container has no user namespace sandbox; no GPU here either.
      "--no-sandbox",
      "--disable-gpu",
      // Without these Chromium keeps calling out to hosts a closed network cannot reach.
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...(extra.args ?? []),
    ],
  };
}
