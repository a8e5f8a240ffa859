import { resolve } from "node:path";
import type { BrowserCommand } from "vitest/node";

/**
 * Commands the browser suites run in Node (`commands` from "vitest/browser"). A scenario played
 * here uses LangGraph's Node entry and MemorySaver, so a browser test compares its own run with
 * the reference run of the same code in Node.
 */
const playScenarioInNode: BrowserCommand<[name: string]> = async (_ctx, name) => {
  // A module runner of its own: the browser project's server would resolve browser builds.
  const { runnerImport } = await import("vite");
  const { module } = await runnerImport<{ playInNode(name: string): Promise<unknown[]> }>(resolve(import.meta.dirname, "langgraph/node-play.ts"), {
    configFile: false,
    logLevel: "error",
  });
  return module.playInNode(name);
};

export const nodeCommands = { playScenarioInNode };
