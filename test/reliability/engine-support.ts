import { existsSync } from "node:fs";
import { selectedEngines, type Engine } from "../engines/instances";
import { firefoxPath } from "../engines/firefox";
import { MINIBROWSER, onPath } from "../engines/webkit";
import type { Session, Tab } from "../engines/driver";

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

/** Opens the harness page in a new tab of a driver session and waits until the library is loaded. */
export async function openHarnessTab(session: Session, url: string): Promise<Tab> {
  const tab = await session.newTab();
  await tab.goto(url);
  // Generous: the dev server compiles the library on first load, on a machine shared with others.
  for (let i = 0; (await tab.evaluate(() => document.title)) !== "ready"; i++) {
    if (i > 1_200) throw new Error(`${session.engine}: the harness page did not load`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return tab;
}
