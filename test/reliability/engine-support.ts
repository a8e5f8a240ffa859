import { existsSync } from "node:fs";
import { selectedEngines, type Engine } from "../engines/instances";
import { firefoxPath } from "../engines/firefox";
import { MINIBROWSER, onPath } from "../engines/webkit";

/**
 * Which engines a reliability e2e test runs in: the ones IDB_BROWSERS selects and this machine
 * has. `whyNot` says why an engine cannot run (undefined when it can), `skipWith` skips a test
 * with that reason printed.
 */
export function whyNot(engine: Engine, { driver = true } = {}): string | undefined {
  if (!selectedEngines().includes(engine)) return `IDB_BROWSERS leaves out ${engine}`;
  if (engine === "firefox") return firefoxPath() ? undefined : "Firefox is not installed (apt-get install firefox-esr)";
  if (engine === "webkit") {
    if (!existsSync(MINIBROWSER)) return `WebKitGTK's MiniBrowser (${MINIBROWSER}) is not installed (apt-get install webkit2gtk-driver)`;
    if (driver && !onPath("WebKitWebDriver")) return "WebKitWebDriver is not installed (apt-get install webkit2gtk-driver)";
    if (!process.env.DISPLAY && !onPath("Xvfb")) return "no X display for MiniBrowser (apt-get install xvfb)";
  }
  return undefined;
}

export function skipWith(reason: string, ctx: { skip(note?: string): void }): void {
  console.info(`skipped: ${reason}`);
  ctx.skip(reason);
}
