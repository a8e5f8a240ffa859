import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { IndexedDBSaver } from "../langgraph/saver.js";

/**
 * Makes a server checkpointer number channel versions as IndexedDBSaver does ("0000000007.k3f9a0x2"):
 * a graph on the server continues threads that browsers started, and LangGraph compares
 * versions with `>`, which mixes badly between numbers and strings (5 + 1 is 6, "…07.k3f" + 1
 * is a string). The random part keeps two devices' branches from naming one version twice.
 */
export function syncVersions<T extends BaseCheckpointSaver>(saver: T): T {
  saver.getNextVersion = IndexedDBSaver.prototype.getNextVersion as T["getNextVersion"];
  return saver;
}
