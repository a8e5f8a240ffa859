import * as lg from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { graphScenarios, type LG } from "./graph-scenarios";
import { awaitScenarios } from "./await-scenarios";

/**
 * Loaded in Node by the browser suites' `playScenarioInNode` command: plays a scenario with
 * LangGraph's Node entry (real AsyncLocalStorage) on MemorySaver, the reference the browser run
 * is compared with.
 */
export async function playInNode(name: string): Promise<unknown[]> {
  const scenario = [...graphScenarios, ...awaitScenarios].find((s) => s.name === name);
  if (!scenario) throw new Error(`no scenario named "${name}"`);
  return scenario.play(lg as unknown as LG, new MemorySaver(), "thread");
}
