import type { BrowserInstanceOption, BrowserProviderOption } from "vitest/node";
import { firefox } from "./firefox-provider";
import { webkit } from "./webkit-provider";

export type Engine = "chromium" | "firefox" | "webkit";
export const ENGINES: Engine[] = ["chromium", "firefox", "webkit"];

/** The engines a run covers: all three, or the ones IDB_BROWSERS names (comma-separated). */
export function selectedEngines(): Engine[] {
  const wanted = (process.env.IDB_BROWSERS ?? ENGINES.join(",")).split(",").map((b) => b.trim());
  const unknown = wanted.filter((b) => !ENGINES.includes(b as Engine));
  if (unknown.length) throw new Error(`IDB_BROWSERS: unknown engine ${unknown.join(", ")} (known: ${ENGINES.join(", ")})`);
  return wanted as Engine[];
}

/**
 * Vitest browser instances, one per engine, each with its provider (Vitest takes different
 * providers only per instance): Chromium the project's Playwright one; Firefox and WebKit their
 * own, since Playwright drives neither of Debian's builds.
 */
export function engineInstances(chromium: BrowserProviderOption): BrowserInstanceOption[] {
  return selectedEngines().map((engine): BrowserInstanceOption => {
    if (engine === "firefox") return { browser: "firefox", provider: firefox() };
    if (engine === "webkit") return { browser: "webkit", provider: webkit() };
    return { browser: "chromium", provider: chromium };
  });
}
